@PK @needs_personal_key
Feature: Personal key
  The personal key stands in for the phone at sign-in. Using it issues a new key at once and
  the old one stops working. It can be typed in any case, with spaces or dashes, and wrong
  keys count toward the same lockout as wrong codes.

  Background:
    Given I have an account with a confirmed phone

  @PK-2 @SI-1
  Scenario: The personal key stands in for a phone code
    When I sign in with my email and password
    And I sign in with my personal key
    Then I am signed in to my account

  @PK-2
  Scenario: The personal key stands in for a code sent to a phone I do not have with me
    When I sign in with my email and password
    And I ask for a security code by text message
    And I receive a security code by text message
    But I sign in with my personal key
    Then I am signed in to my account

  @PK-3
  Scenario: Signing in with the personal key replaces it
    When I sign in with my email and password
    And I sign in with my personal key
    Then I am shown a new personal key
    When I sign out
    And I sign in with my email and password again
    And I sign in with my previous personal key
    Then the personal key is refused
    When I sign in with my personal key
    Then I am signed in to my account

  @PK-5
  Scenario Outline: The personal key can be typed <how>
    When I sign in with my email and password
    And I sign in with my personal key typed <how>
    Then I am signed in to my account

    Examples:
      | how                                |
      | in lower case with spaces          |
      | in lower case without separators   |

  @PK-5 @OTP-5
  Scenario: Wrong personal keys count toward the lockout
    When I sign in with my email and password
    And I sign in with a wrong personal key
    Then the personal key is refused
    When I sign in with a wrong personal key
    And I sign in with a wrong personal key
    Then I am signed out and locked out for 5 minutes

  @PK-5
  Scenario: Wrong personal keys and wrong codes share one count
    When I sign in with my email and password
    And I sign in with a wrong personal key
    And I ask for a security code by text message
    And I receive a security code by text message
    And I enter a wrong security code
    And I enter a wrong security code
    Then I am signed out and locked out for 5 minutes
