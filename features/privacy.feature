@PV-4
Feature: My email address and phone number serve my account's security only
  The address and number a person gives are used for what the account needs: a link to
  confirm or to reset, sign-in codes, and notices about the account's security. Nothing else
  reaches them, at sign-up or weeks later. That they are not leased, sold or released for
  marketing cannot be seen from outside, and no scenario claims to check it.

  @serial
  Scenario: A month of using my account brings only the messages each step called for
    Given I have an account with a confirmed phone
    When I sign in with my email and password
    And I ask for a security code by text message
    And I receive a security code by text message
    And I enter the security code
    Then I am signed in to my account
    When 30 days pass
    And I sign in with my email and password
    And I ask for a security code by text message
    And I receive a security code by text message
    And I enter the security code
    Then I am signed in to my account
    And no other message reached me
