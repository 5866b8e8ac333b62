@IV @needs_identity_verification
Feature: Identity verification
  Some agencies must know who a person is, not only that they hold the account. The person
  verifies once: they agree to the checks, upload photos of both sides of their ID and of
  themselves, which a document-verification service checks, and enter their Social Security
  number, which is checked against the details on the ID. The photos only confirm identity:
  they are not kept, not shown back, and nothing else is decided from them. Their password
  then locks what was verified, and a new personal key is issued that can unlock it too.

  Background:
    Given I am signed in to an account with a confirmed phone

  @IV-1 @PK-1
  Scenario: Verifying my identity with a photo ID and a photo of me
    Then my identity is not verified
    When I agree to have my identity checked
    And I upload the front and back of my ID and a photo of me
    And I enter my Social Security number
    And I confirm with my password
    Then I am shown a new personal key
    And my identity is verified

  @IV-1
  Scenario Outline: An ID the service cannot vouch for is refused, saying why
    When I agree to have my identity checked
    And I upload <document> with a photo of <whom>
    Then the upload is refused as "<reason>"
    And my identity is not verified

    Examples:
      | document                           | whom         | reason              |
      | an unreadable ID                   | me           | document_unreadable |
      | an expired ID                      | me           | document_expired    |
      | an ID that fails a security check  | me           | document_failed     |
      | my ID                              | someone else | selfie_mismatch     |

  @IV-1
  Scenario: Details that match no one are refused, and verifying cannot be finished without a match
    When I agree to have my identity checked
    And I upload the front and back of my ID and a photo of me
    And I enter a Social Security number that matches no one
    Then my Social Security number is refused as "identity_not_found"
    When I confirm with my password
    Then finishing is refused as "verification_step_out_of_order"
    And my identity is not verified

  @IV-1
  Scenario: Nothing is checked without my agreement
    When I do not agree to have my identity checked
    Then starting is refused as "verification_consent_required"
    When I upload the front and back of my ID and a photo of me
    Then the upload is refused as "verification_consent_required"

  @IV-1 @serial
  Scenario: Attempts to verify are limited, and the limit passes
    When I agree to have my identity checked
    And I upload an unreadable ID as often as the limit allows
    Then my next upload is refused as too many attempts, even with a good ID
    When the limit's window has passed since my first attempt
    And I sign in with my password and a texted security code
    And I agree to have my identity checked
    And I upload the front and back of my ID and a photo of me
    Then the upload is accepted

  @IV-3
  Scenario: The photos of my ID only confirm who I am
    When I verify my identity
    Then no answer I received carries my ID's photos, its number or how the checks went

  @PV-2 @PR-4
  Scenario: After a reset without my personal key, my verified identity waits for it
    Given I have verified my identity
    When I sign out
    And I ask to reset my password
    And I receive an email with a password reset link
    And I follow the reset link and choose the password "a brand new passphrase 42"
    And I sign in with my password and a texted security code
    Then my identity is waiting for my personal key
    When I try to reactivate my identity with a wrong personal key
    Then the personal key is refused
    When I reactivate my identity with the personal key I was given when I verified
    Then I am shown a new personal key
    And my identity is verified

  @PV-2
  Scenario: Changing my password keeps my verified identity unlocked
    Given I have verified my identity
    When I change my password to "another fine passphrase 7" giving my current password
    And I sign out
    And I sign in with my password and a texted security code
    Then my identity is verified
    When the benefits agency sends me to sign in asking for verified identity and my verified name
    Then I am asked to share my verified name with the benefits agency

  @IV-1 @AG-2 @PV-3
  Scenario: An agency asking for verified identity gets it once I have verified
    When the benefits agency sends me to sign in asking for verified identity and my verified name and verified birth date
    Then I am asked to verify my identity first
    When I verify my identity
    And I continue to the agency
    Then I am asked to share my verified name and verified birth date with the benefits agency
    When I agree to share
    Then I am sent back to the benefits agency with a code and the state it sent
    When the benefits agency exchanges the code
    Then it receives an ID token for me signed by the service, saying my identity was verified
    And its userinfo request returns my verified name and verified birth date, and nothing about the checks

  @IV-3 @PV-3
  Scenario: An agency gets only the verified details I agreed to share
    Given I have verified my identity
    When the benefits agency sends me to sign in asking for verified identity and my verified address and verified Social Security number
    Then I am asked to share my verified address and verified Social Security number with the benefits agency
    When I agree to share
    And the benefits agency exchanges the code
    Then its userinfo request returns my verified address and verified Social Security number, and nothing about the checks

  @PR-4
  Scenario: After a reset, an agency asking for verified identity waits for my personal key
    Given I have verified my identity
    When I sign out
    And I ask to reset my password
    And I receive an email with a password reset link
    And I follow the reset link and choose the password "a brand new passphrase 42"
    And I sign in with my password and a texted security code
    And the benefits agency sends me to sign in asking for verified identity and my verified name
    Then I am asked to reactivate my identity first
    When I reactivate my identity with the personal key I was given when I verified
    And I continue to the agency
    Then I am asked to share my verified name with the benefits agency

  @PR-5
  Scenario: With neither phone nor personal key, I open a new account and verify again
    Given I have verified my identity
    When I sign out
    And I have lost my phone and my personal key, and open a new account under another email address
    Then my identity is not verified
    When I verify my identity
    Then my identity is verified
    And my old account keeps its email address and still signs in with its password
