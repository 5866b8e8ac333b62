@ST-6 @needs_authenticator_app
Feature: Authenticator app
  An authenticator app (TOTP: RFC 6238, SHA-1, 6 digits, 30-second steps) can be added
  and then used instead of a phone code. A code from the app works only once.

  Background:
    Given I am signed in to an account with a confirmed phone
    When I add an authenticator app giving my current password
    Then I am shown the secret and an otpauth link for the app
    When I enter the code my app shows
    Then the change is accepted

  Scenario: Each app is given a secret of its own, of at least 128 bits
    Then the secret is at least 128 bits long
    And another person adding an app to their account is given a different secret

  Scenario: The code used to set up the app cannot also sign in
    When I sign out
    And I sign in with my email and password
    And I enter the same app code again to sign in
    Then the app code is refused as already used

  @SI-1 @serial
  Scenario: Signing in with the app's next code
    When I sign out
    And I sign in with my email and password
    And 30 seconds pass
    And I enter the code my app shows to sign in
    Then I am signed in to my account

  @serial
  Scenario: A code from the app cannot be used twice
    When I sign out
    And I sign in with my email and password
    And 30 seconds pass
    And I enter the code my app shows to sign in
    And I sign out
    And I sign in with my email and password again
    And I enter the same app code again to sign in
    Then the app code is refused as already used
