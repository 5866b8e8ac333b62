@PH
Feature: Adding and confirming a phone
  After choosing a password, a person adds a phone number that receives texts or calls and
  confirms it with a code sent to it. A landline works with voice calls.

  Background:
    Given I have chosen my password while creating an account

  @PH-1 @PH-2 @SU-1
  Scenario: A code texted to my phone confirms it and completes the account
    Then I am not signed in
    When I add my phone number and ask for the code by text message
    Then I receive a security code by text message
    When I enter the security code
    Then my phone is confirmed
    And I am signed in to my account

  @PK-1 @needs_personal_key
  Scenario: Completing the account shows a personal key of my own, once
    When I add my phone number and ask for the code by text message
    And I receive a security code by text message
    And I enter the security code
    Then I am shown a personal key
    And I am signed in to my account
    And my personal key is not shown again
    And another new account is shown a different personal key

  @PH-1 @PH-4 @needs_voice
  Scenario: A landline gets its code by voice call
    Given my phone is a landline
    When I add my phone number and ask for the code by text message
    Then I am told my phone cannot receive text messages
    When I ask for the code by voice call instead
    Then I receive a security code by voice call
    When I enter the security code
    Then my phone is confirmed
    And I am signed in to my account
    When I sign out
    And I sign in with my email and password
    And I ask for a security code by voice call
    And I receive a security code by voice call
    And I enter the security code
    Then I am signed in to my account

  @PH-1 @needs_voice
  Scenario: A number that takes neither texts nor calls is refused
    Given my phone number takes neither texts nor calls
    When I add my phone number and ask for the code by text message
    Then I am told my phone can get no security code
    When I try a voice call to that number instead
    Then I am told my phone can get no security code
    And no other message reached me

  @PH-2
  Scenario: A wrong code does not confirm the phone
    When I add my phone number and ask for the code by text message
    And I receive a security code by text message
    And I enter a wrong security code
    Then the code is refused as wrong
    And I am not signed in
    When I enter the security code
    Then my phone is confirmed

  @OTP-1 @serial
  Scenario: A sign-up code stops working 5 minutes after it was sent
    When I add my phone number and ask for the code by text message
    And I receive a security code by text message
    And 5 minutes pass
    And I enter the security code
    Then the code is refused as expired

  @PH-5
  Scenario: A mistyped phone number can be replaced before it is confirmed
    When I add a mistyped phone number and ask for the code by text message
    And I add my phone number and ask for the code by text message
    Then I receive a security code by text message
    When I enter the code that went to the mistyped number
    Then that code is refused
    When I enter the security code
    Then my phone is confirmed

  @PH-6 @needs_voice
  Scenario: The sign-up code can be asked for again, by text or by a call
    When I add my phone number and ask for the code by text message
    And I receive a security code by text message
    And I ask for a security code by text message
    Then I receive a security code by text message
    When I ask for a security code by voice call
    Then I receive a security code by voice call
    When I enter the newest security code
    Then my phone is confirmed

  @PH-6
  Scenario: Asking again for the sign-up code is limited
    When I add my phone number and ask for the code by text message
    And I receive a security code by text message
    And I ask for a security code by text message 2 times
    And I ask for a security code by text message
    Then I am told to try again later
    And no security code is sent
    And no other message reached me

  @SU-1
  Scenario: An account without a phone cannot be used
    When I start again on a new device
    And I sign in with my email and password
    Then I am not signed in
    And no sign-in code can be asked for
    And no other message reached me

  @SU-1
  Scenario: An account whose phone was never confirmed cannot be used
    When I add my phone number and ask for the code by text message
    And I receive a security code by text message
    And I start again on a new device
    And I sign in with my email and password
    Then I am not signed in
    And no sign-in code can be asked for
    When I enter the security code
    Then I am not signed in
    And no other message reached me
