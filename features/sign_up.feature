@SU
Feature: Creating an account
  A person creates an account by confirming an email address and choosing a password
  (and, in the next steps, adding a phone). Every scenario uses an email address that
  nobody else uses.

  @SU-2
  Scenario: Entering an email address sends a link that confirms it
    When I start creating an account with my email address
    Then I receive an email with a confirmation link
    When I follow the confirmation link
    Then my email address is confirmed
    And I can choose a password

  @SU-2
  Scenario: Nothing goes on before the email address is confirmed
    When I start creating an account with my email address
    And I try to choose a password before confirming my email
    Then I am asked to confirm my email address first
    When I try to add my phone number before confirming my email
    Then that is refused, and no code is sent
    When I start again on a new device
    And I try to sign in with my email and password
    Then that is refused, and no code is sent

  @SU-2
  Scenario: A damaged confirmation link does not work
    When I start creating an account with my email address
    And I receive an email with a confirmation link
    And I follow a tampered copy of the confirmation link
    Then the link is refused as not valid

  @SU-3
  Scenario: Sending the confirmation again gives a new link and only the newest works
    When I start creating an account with my email address
    And I receive an email with a confirmation link
    And I ask for the confirmation email to be sent again
    Then I receive another email with a different confirmation link
    When I follow the older confirmation link
    Then the link is refused as replaced by a newer link
    When I follow the newest confirmation link
    Then my email address is confirmed

  @SU-3 @serial
  Scenario: Confirmation emails are limited per address, and work again once the window has passed
    When I start creating an account and ask for the email again until the limit is used up
    And I ask for the confirmation email to be sent again
    Then I am told to try again when the window since the first email ends
    And no confirmation email was sent for the refused request
    When the window since the first email has passed but for 1 second
    And I ask for the confirmation email to be sent again
    Then I am told to try again later
    When the time I was told to wait has passed
    And I start creating an account with my email address
    Then I receive another email with a different confirmation link
    And no other message reached me

  @SU-4
  Scenario: A mistyped address is replaced by simply starting again
    When I start creating an account with a mistyped email address
    And I start creating an account with my email address
    Then I receive an email with a confirmation link
    When I follow the confirmation link
    Then my email address is confirmed
    And I can choose a password

  @SU-4
  Scenario: Emails used up on a mistyped address do not hold up the corrected one
    When I start creating an account with a mistyped email address and ask for the email again as often as allowed
    And I start creating an account with my email address
    Then I receive an email with a confirmation link
    When I follow the confirmation link
    Then my email address is confirmed
    And I can choose a password

  @SU-4
  Scenario: An unfinished sign-up never blocks the address
    Given someone started creating an account with my email address and never confirmed it
    When I start creating an account with my email address
    Then I receive an email with a confirmation link
    When I follow the confirmation link
    Then my email address is confirmed
    And I can choose a password

  @SU-5 @PV-1
  Scenario: Signing up with an address that has an account looks the same and warns the owner
    Given an account exists for my email address
    When someone starts creating an account with my email address
    Then the answer is the same as for an address without an account
    And I receive an email saying someone tried to create an account with my address
    And that email tells me how to reset my password
    And that email contains no confirmation link

  @SU-7
  Scenario: The owner of an address can report that someone else is using it
    Given an account exists for my email address
    When someone starts creating an account with my email address
    Then I receive an email saying someone tried to create an account with my address
    And that email tells me how to report that it was not me
    When I report it through that email
    Then my report is acknowledged with a reference
    When I report it through that email again
    Then I am given the same reference, not a second report
    And a report through a link the service never sent is refused
    When another person's address is misused the same way and they report it
    Then their report is given a reference other than mine

  @SU-6 @serial
  Scenario: A confirmation link still works just before 24 hours have passed
    When I start creating an account with my email address
    And I receive an email with a confirmation link
    And 23 hours, 59 minutes and 59 seconds pass
    And I follow the confirmation link
    Then my email address is confirmed

  @SU-6 @serial
  Scenario: A confirmation link stops working 24 hours after it was sent
    When I start creating an account with my email address
    And I receive an email with a confirmation link
    And 24 hours pass
    And I follow the confirmation link
    Then the link is refused as expired

  @SU-6
  Scenario: A confirmation link works only once
    When I start creating an account with my email address
    And I receive an email with a confirmation link
    And I follow the confirmation link
    And I follow the confirmation link again
    Then the link is refused as already used
