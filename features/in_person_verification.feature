@IV @needs_identity_verification @needs_in_person_verification
Feature: Verifying identity in person at a Post Office
  A person who prefers not to upload photos, or cannot, verifies at a participating Post Office
  instead. They agree to the checks, choose a Post Office near them, type in the details on the
  ID they will bring, and enter their Social Security number and password as when verifying
  online. They are given an enrollment code and a deadline. Their identity counts as verified
  only once the Post Office reports that they passed; a failed visit, or no visit by the
  deadline, ends the enrollment. The person is emailed whichever result comes, and can see
  where things stand on their account page.

  Background:
    Given I am signed in to an account with a confirmed phone

  @IV-2 @PK-1
  Scenario: Enrolling to verify at a Post Office
    When I agree to have my identity checked
    And I look for Post Offices near ZIP code 22150
    Then I am offered participating Post Offices
    When I choose the first Post Office
    And I enter the details on my ID
    And I enter my Social Security number
    And I confirm with my password
    Then I am shown a new personal key
    And my identity waits for my visit to the Post Office, with an enrollment code

  @IV-2
  Scenario: A search with no participating Post Office nearby, and details that cannot be on an ID, are refused
    When I agree to have my identity checked
    And I look for Post Offices near ZIP code 00000
    Then the search is refused as "no_post_office_nearby"
    When I look for Post Offices near ZIP code 22150
    And I choose the first Post Office
    And I enter the details on my ID with the date of birth "1985-02-30"
    Then my details are refused as "id_details_invalid"
    And my identity is not verified

  @IV-2
  Scenario: An agency asking for verified identity waits until the Post Office has verified me
    Given I have enrolled to verify my identity at a Post Office
    When the benefits agency sends me to sign in asking for verified identity and my verified name
    Then I am asked to verify my identity first

  @IV-2 @serial
  Scenario: The Post Office verifies me, and my identity counts from then on
    Given I have enrolled to verify my identity at a Post Office
    When the Post Office reports that I passed
    Then I receive an email saying my identity was verified at the Post Office
    When I sign in with my password and a texted security code
    Then my identity is verified
    When the benefits agency sends me to sign in asking for verified identity and my verified name
    Then I am asked to share my verified name with the benefits agency

  @IV-2 @serial
  Scenario: The Post Office could not verify me
    Given I have enrolled to verify my identity at a Post Office
    When the Post Office reports that I failed
    Then I receive an email saying the Post Office could not verify me
    When I sign in with my password and a texted security code
    Then my identity is not verified, as the Post Office could not verify me

  @IV-2 @serial
  Scenario: The enrollment lasts until its deadline, and ends when I have not gone by then
    Given I have enrolled to verify my identity at a Post Office
    When the deadline to visit has nearly come
    And I sign in with my password and a texted security code
    Then my identity is still waiting for my visit to the Post Office
    When the deadline to visit passes without my going
    Then I receive an email saying my deadline to visit the Post Office has passed
    When I sign in with my password and a texted security code
    Then my identity is not verified, as my deadline to visit the Post Office passed
