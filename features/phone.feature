@PH
Feature: Adding and confirming a phone
  After choosing a password, a person adds a phone number that receives texts or calls and
  confirms it with a code sent to it. A landline works with voice calls.

  Background:
    Given I have chosen my password while creating an account

  @PH-1 @PH-2 @SU-1 @PK-1 @needs_personal_key
  Scenario: A code texted to my phone confirms it and completes the account
    Then I am not signed in
    When I add my phone number and ask for the code by text message
    Then I receive a security code by text message
    When I enter the security code
    Then my phone is confirmed
    And I am shown a personal key
    And I am signed in to my account
    And my personal key is not shown again

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

  @PH-5
  Scenario: A mistyped phone number can be replaced before it is confirmed
    When I add a mistyped phone number and ask for the code by text message
    And I add my phone number and ask for the code by text message
    Then I receive a security code by text message
    When I enter the security code
    Then my phone is confirmed

  @SU-1
  Scenario: An account without a confirmed phone cannot be used
    When I start again on a new device
    And I sign in with my email and password
    Then I am not signed in
