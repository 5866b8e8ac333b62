@SI
Feature: Signing in and out
  Signing in takes the email address, the password and a second factor. Nothing tells a
  stranger whether an address has an account.

  Background:
    Given I have an account with a confirmed phone

  @SI-1
  Scenario: The password alone does not sign me in
    When I sign in with my email and password
    Then I am not signed in

  @SI-2
  Scenario: An unknown email and a wrong password get the same answer
    When I sign in with my email and a wrong password
    And I sign in with an email address that has no account
    Then I am refused without being told whether the email or the password was wrong

  @SI-3 @serial
  Scenario: Wrong passwords beyond the limit are refused until the window has passed
    When I sign in with a wrong password as often as the limit allows
    And I sign in with my email and a wrong password
    Then I am told to try again when the window since the first wrong password ends
    And the right password is refused too until the time has passed
    When the window since the first wrong password has passed but for 1 second
    And I try to sign in with my email and password
    Then I am told to try again later
    When the time I was told to wait has passed
    And I sign in with my email and password
    And I ask for a security code by text message
    And I receive a security code by text message
    And I enter the security code
    Then I am signed in to my account

  @SI-4
  Scenario: Signing out ends the session
    When I sign in with my email and password
    And I ask for a security code by text message
    And I receive a security code by text message
    And I enter the security code
    And I sign out
    Then I am not signed in
    And the session I had before signing out does not work even on another device

  @SI-4 @serial
  Scenario: A session ends after 15 minutes without use, however long it has lasted
    When I sign in with my email and password
    And I ask for a security code by text message
    And I receive a security code by text message
    And I enter the security code
    Then I am signed in to my account
    When 14 minutes and 59 seconds pass
    Then I am signed in to my account
    When 14 minutes and 59 seconds pass
    Then I am signed in to my account
    When 15 minutes pass
    Then I am not signed in

  @SI-6 @serial
  Scenario: A session ends 12 hours after sign-in, however busy
    When I sign in with my email and password
    And I ask for a security code by text message
    And I receive a security code by text message
    And I enter the security code
    And I keep using my account until the session's lifetime since sign-in is reached
    Then I am not signed in

  @SI-5
  Scenario: Signing in gives a new session identifier
    When I start creating an account with another email address
    And I note my session
    And I sign in with my email and password
    Then I have a new session identifier
