@timing @alone
Feature: Answers take as long whether or not an address has an account
  How long an answer takes must not tell anyone which addresses have accounts: a service that
  sends the reset email before answering, or skips the password hash for unknown addresses,
  answers one kind faster. Each check asks about 20 addresses with accounts and 20 without, one
  try per address, alternating, and compares the median times: they may differ by 10 ms plus a
  fifth of the smaller. Checked through the JSON API only; page loads vary by more than that.

  @PR-2
  Scenario: Asking for a password reset takes as long for an address without an account
    Given 20 other people have accounts
    When each of them and as many people without an account ask for a password reset, in turn
    Then every answer is the same, and takes as long whether or not the address has an account

  @SI-2
  Scenario: A wrong password takes as long to refuse for an address without an account
    Given 20 other people have accounts
    When each of them and as many people without an account sign in with a wrong password, in turn
    Then every answer is the same, and takes as long whether or not the address has an account

  @SU-5
  Scenario: Starting a sign-up takes as long for an address that has an account
    Given 20 other people have accounts
    When each of them and as many people without an account start creating an account, in turn
    Then every answer is the same, and takes as long whether or not the address has an account
