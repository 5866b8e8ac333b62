@parallel_requests
Feature: Requests at once
  A limit counts every attempt, however many arrive together, and a session that has ended
  stays ended. Each scenario here sends many requests on one session at the same moment, as a
  script would: a service that reads a count, decides, then writes it back lets them all through.

  @ST-2 @needs_password_change
  Scenario: Wrong current passwords sent at once sign me out at the limit
    Given I am signed in to an account with a confirmed phone
    When I try to change my password giving 20 different wrong current passwords at once
    Then no more of them are judged than the limit allows, and the rest find me signed out
    And I am not signed in

  @OTP-5
  Scenario: Wrong codes sent at once lock code entry at the limit
    Given I have an account with a confirmed phone
    When I sign in with my email and password
    And I ask for a security code by text message
    And I receive a security code by text message
    And I enter 20 different wrong security codes at once
    Then no more of them are counted than the limit allows, and the one reaching it signs me out and locks code entry

  @OTP-4 @serial
  Scenario: Code requests sent at once send no more codes than the limit
    Given I have an account with a confirmed phone
    And 15 minutes pass
    When I sign in with my email and password
    And I ask for a security code by text message 20 times at once
    Then no more codes are sent than the limit allows

  @SI-4 @needs_authenticator_app
  Scenario: A request in flight while I sign out does not bring my session back
    Given I am signed in to an account with a confirmed phone
    # Each in-flight request re-enters the password; fewer of them than the re-authentication
    # limit allows, so that nothing but signing out can end the session.
    When I sign out while 2 requests that change my session are in flight
    Then the session cookie I had no longer works
