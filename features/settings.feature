@ST
Feature: Changing account settings
  A signed-in person can change the password, email address and phone. Each change first
  asks for the current password; three wrong entries sign the person out.

  Background:
    Given I am signed in to an account with a confirmed phone

  @ST-1 @PV-1 @needs_password_change
  Scenario: Changing my password asks for the current one and tells me by email
    When I change my password to "another fine passphrase" giving my current password
    Then the change is accepted
    And I receive an email saying my password was changed
    When I sign out
    And I sign in with my email and password
    Then the password is accepted

  @ST-3 @needs_password_change
  Scenario Outline: A new password follows the same rules as the first
    When I change my password to "<password>" giving my current password
    Then the password is refused as <why>

    Examples:
      | password    | why        |
      | short       | too short  |
      | password123 | too common |
      | zqvm3kw     | too short  |

  @ST-3 @needs_password_change
  Scenario: A new password of 8 characters is accepted, and the old one stops working
    When I change my password to "zqvm3kwj" giving my current password
    Then the change is accepted
    When I sign out
    And I sign in with the password I had before
    Then I am refused as having the wrong email or password
    When I sign in with my email and password
    Then the password is accepted

  @ST-2 @needs_password_change
  Scenario: Three wrong current passwords sign me out
    When I try to change my password giving a wrong current password
    Then I am told my current password is wrong
    When I try to change my password giving a wrong current password
    Then I am told my current password is wrong
    When I try to change my password giving a wrong current password
    Then I am signed out
    And I am not signed in

  @ST-1 @needs_password_change
  Scenario: A wrong current password changes no password
    When I try to change my password giving a wrong current password
    Then I am told my current password is wrong
    When I sign out
    And I sign in with my email and password
    Then the password is accepted

  @ST-1 @needs_email_change
  Scenario: A wrong current password changes no email address
    When I try to change my email address to a new one giving a wrong current password
    Then I am told my current password is wrong
    And the new address receives no email
    And I can sign in with my old email address but not with the new one

  @ST-1 @needs_phone_change
  Scenario: A wrong current password changes no phone number
    When I try to change my phone number to a new one giving a wrong current password
    Then I am told my current password is wrong
    And the new number receives no security code

  @ST-4 @needs_email_change
  Scenario: A new email address counts only once its link is followed
    When I change my email address to a new one giving my current password
    Then the new address receives an email with a confirmation link
    And I can sign in with my old email address but not with the new one
    When I follow the link sent to the new address
    Then I can sign in with my new email address but not with the old one

  @ST-1 @PV-1 @needs_email_change
  Scenario: Both addresses are told of an email change
    When I change my email address to a new one giving my current password
    Then my current address receives an email saying a change was requested
    And the new address receives an email with a confirmation link
    When I follow the link sent to the new address
    Then both addresses receive an email saying the address was changed

  @ST-1 @ST-5 @PV-1 @serial @needs_phone_change
  Scenario: A new phone number is confirmed with a code sent to it straight away
    When I change my phone number to a new one giving my current password
    Then the new number receives a security code by text message straight away
    When I enter the code sent to the new number
    Then the change is accepted
    And I receive an email saying my phone number was changed
    # Three codes went out in the last minutes (sign-up, sign-in, new number): the limit.
    When 15 minutes pass
    Then my security codes now go to the new number, and none to the old one

  @ST-5 @serial @needs_phone_change
  Scenario: A new phone number counts only once its code is entered
    When I change my phone number to a new one giving my current password
    Then the new number receives a security code by text message straight away
    # The code is not entered. Three codes went out in the last minutes: the limit.
    When 15 minutes pass
    Then my security codes still go to the old number, and none to the new one
