@PW
Feature: Passwords
  The only rule for a password is its length. Long passphrases are welcome, commonly used
  passwords are refused, and a strength meter gives advice without deciding anything.

  Background:
    Given I have confirmed my email address while creating an account

  @PW-1
  Scenario Outline: Length is the only rule
    When I choose the password "<password>"
    Then the password is <verdict>

    Examples:
      | password                | verdict               |
      | zqvm3kw                 | refused as too short  |
      | zqvm3kwj                | accepted              |
      | only lower case letters | accepted              |
      | SHOUTING IN CAPITALS    | accepted              |
      | 4 8 15 16 23 42 108     | accepted              |

  @PW-1
  Scenario: After a refusal, a password that follows the rule is accepted
    When I choose the password "short"
    Then the password is refused as too short
    When I choose the password "a longer passphrase"
    Then the password is accepted

  @PW-3
  Scenario Outline: Long passphrases in any script are accepted
    When I choose a password of <length> characters
    Then the password is accepted

    Examples:
      | length |
      | 64     |
      | 100    |
      | 200    |

  @PW-3
  Scenario: Characters beyond ASCII are accepted
    When I choose the password "Grüße aus Köln, 東京 и Москва 🙂"
    Then the password is accepted

  @PW-4
  Scenario Outline: Commonly used passwords are refused with a reason
    When I choose the password "<password>"
    Then the password is refused as too common

    Examples:
      | password   |
      | password   |
      | 12345678   |
      | Password1  |
      | qwertyuiop |
      | iloveyou   |

  @PW-2
  Scenario: The strength meter scores and advises
    When I check the strength of "password123"
    And I check the strength of "tuba correct horse staple"
    Then "tuba correct horse staple" is rated stronger than "password123"
    And the meter gives advice for "password123"

  @PW-2
  Scenario: The strength meter guides but does not decide
    When I check the strength of "aaaabbbbcccc"
    Then "aaaabbbbcccc" is rated weak
    When I choose the password "aaaabbbbcccc"
    Then the password is accepted

  @PW-5
  Scenario: The password never comes back
    When I choose the password "a secret only I know 4471"
    Then the password is accepted
    And my password never appears in any answer or email
