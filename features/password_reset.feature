@PR
Feature: Resetting a forgotten password
  "Forgot password" emails a link that works once and for 30 minutes. A new password never
  bypasses the second factor, and the first sign-in afterwards gives a new personal key.

  Background:
    Given I have an account with a confirmed phone

  @PR-1
  Scenario: A reset link lets me choose a new password; signing in still needs my phone
    When I ask to reset my password
    Then I receive an email with a password reset link
    When I follow the reset link and choose the password "a brand new passphrase"
    Then the password is accepted
    And I am not signed in
    When I sign in with my email and password
    Then I am not signed in
    When I ask for a security code by text message
    And I receive a security code by text message
    And I enter the security code
    Then I am signed in to my account

  @PK-4 @needs_personal_key
  Scenario: The first sign-in after a reset gives a new personal key
    When I ask to reset my password
    And I receive an email with a password reset link
    And I follow the reset link and choose the password "a brand new passphrase"
    And I sign in with my email and password
    And I ask for a security code by text message
    And I receive a security code by text message
    And I enter the security code
    Then I am given a new personal key
    And I am signed in to my account
    When I sign out
    And I sign in with my email and password
    And I sign in with my previous personal key
    Then the personal key is refused

  @PR-1
  Scenario: After a reset the old password no longer works
    When I ask to reset my password
    And I receive an email with a password reset link
    And I follow the reset link and choose the password "a brand new passphrase"
    And I sign in with the password I had before
    Then I am refused as having the wrong email or password
    When I sign in with my email and password
    Then the password is accepted

  @PR-1 @PW-4
  Scenario: The new password follows the password rules, and the link survives a refusal
    When I ask to reset my password
    And I receive an email with a password reset link
    And I follow the reset link and choose the password "password123"
    Then the password is refused as too common
    When I follow the reset link and choose the password "a brand new passphrase"
    Then the password is accepted

  @PR-2
  Scenario: Asking for an address with no account gets the same answer
    When I ask to reset my password
    And someone asks to reset the password of an address with no account
    Then both answers are the same
    And nothing is sent to the address with no account

  @PR-3 @serial
  Scenario: A reset link still works just before 30 minutes have passed
    When I ask to reset my password
    And I receive an email with a password reset link
    And 29 minutes and 59 seconds pass
    And I follow the reset link and choose the password "a brand new passphrase"
    Then the password is accepted

  @PR-3 @serial
  Scenario: A reset link stops working 30 minutes after it was sent
    When I ask to reset my password
    And I receive an email with a password reset link
    And 30 minutes pass
    And I follow the reset link and choose the password "a brand new passphrase"
    Then the link is refused as expired

  @PR-3
  Scenario: A reset link works only once
    When I ask to reset my password
    And I receive an email with a password reset link
    And I follow the reset link and choose the password "a brand new passphrase"
    And I follow the reset link and choose the password "yet another passphrase"
    Then the link is refused as already used
