@PV-1
Feature: Security notices
  Email is used only for messages about the security of the account. Creating an account and
  signing in send nothing beyond what those steps need.

  Scenario: Creating an account and signing in send only the confirmation email
    Given I have an account with a confirmed phone
    When I sign in with my email and password
    And I ask for a security code by text message
    And I receive a security code by text message
    And I enter the security code
    Then I am signed in to my account
    And I have received 1 email

  @needs_personal_key
  Scenario: Signing in with the personal key is told by email
    Given I have an account with a confirmed phone
    When I sign in with my email and password
    And I sign in with my personal key
    Then I am signed in to my account
    And I receive an email saying my personal key was used

  Scenario: Resetting my password is told by email
    Given I have an account with a confirmed phone
    When I ask to reset my password
    And I receive an email with a password reset link
    And I follow the reset link and choose the password "a brand new passphrase"
    Then the password is accepted
    And I receive an email saying my password was changed
