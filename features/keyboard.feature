@AX @AX-2 @keyboard
Feature: Using the service with the keyboard alone
  Someone who cannot use a mouse moves through each page with Tab and sends a form with Enter.
  Every field, choice and button of each flow must be reachable that way, in the order the
  page reads, with the focus always visible; and when something is refused, the error summary
  takes the focus or is announced, so that it is not missed. These scenarios run in a browser.

  Background:
    Given I use only the keyboard

  Scenario: Creating an account with the keyboard alone
    When I start creating an account with my email address
    And I receive an email with a confirmation link
    And I follow the confirmation link
    And I choose the password "a keyboard only passphrase 3"
    And I finish creating my account with my phone
    Then I could do every step with the keyboard alone, the focus always visible and moving in order

  Scenario: Signing in with the keyboard alone
    Given I have an account with a confirmed phone
    When I sign in with my password and a texted security code
    Then I could do every step with the keyboard alone, the focus always visible and moving in order

  Scenario: A refused code is announced to someone using the keyboard
    Given I have an account with a confirmed phone
    When I sign in with my email and password
    And I ask for a security code by text message
    And I receive a security code by text message
    And I enter a wrong security code
    Then the refusal was announced, or took the focus
    And I could do every step with the keyboard alone, the focus always visible and moving in order

  Scenario: Resetting my password with the keyboard alone
    Given I have an account with a confirmed phone
    When I ask to reset my password
    And I receive an email with a password reset link
    And I follow the reset link and choose the password "a brand new passphrase 42"
    Then I could do every step with the keyboard alone, the focus always visible and moving in order

  Scenario: Changing my password with the keyboard alone
    Given I am signed in to an account with a confirmed phone
    When I change my password to "another fine passphrase 7" giving my current password
    Then I could do every step with the keyboard alone, the focus always visible and moving in order

  @agency
  Scenario: Signing in for an agency and agreeing to share, with the keyboard alone
    Given I have an account with a confirmed phone
    When the benefits agency sends me to sign in for my email address and phone number
    And I sign in with my password and a texted security code
    And I continue to the agency
    And I agree to share
    Then I am sent back to the benefits agency with a code and the state it sent
    And I could do every step with the keyboard alone, the focus always visible and moving in order

  @needs_identity_verification @needs_in_person_verification
  Scenario: Enrolling to verify my identity at a Post Office with the keyboard alone
    Given I am signed in to an account with a confirmed phone
    When I enroll to verify my identity at a Post Office
    Then I could do every step with the keyboard alone, the focus always visible and moving in order
