@PW
Feature: Passwords
  A password must be long enough (8 characters, counted as characters, not bytes) and not a
  commonly used one; nothing else about its make-up is asked. Long passphrases in any script
  are welcome and always compared whole (the service may set a generous maximum), and a
  strength meter gives advice without deciding anything.

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
      | ñandú東京                 | refused as too short  |
      | ñandú東京й                | accepted              |

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

  @PW-3
  Scenario Outline: A long password signs in only whole
    When I choose a password of <length> characters
    Then the password is accepted
    When I finish creating my account with my phone
    And I try to sign in with only the first <part> characters of my password
    Then I am refused as having the wrong email or password
    When I sign in with my email and password
    Then the password is accepted

    Examples:
      | length | part |
      | 100    | 64   |
      | 100    | 72   |
      | 200    | 128  |

  @PW-3
  Scenario: A password beyond ASCII signs in only as it was typed
    When I choose the password "Grüße aus Köln, 東京 и Москва 🙂"
    Then the password is accepted
    When I finish creating my account with my phone
    And I try to sign in with my password's characters beyond ASCII replaced by question marks
    Then I am refused as having the wrong email or password
    When I sign in with my email and password
    Then the password is accepted

  # Every common password here is long enough, so that only PW-4 can refuse it.
  @PW-4
  Scenario Outline: Commonly used passwords are refused with a reason
    When I choose the password "<password>"
    Then the password is refused as too common

    Examples:
      | password    |
      | qwertyuiop  |
      | 1234567890  |
      | Password123 |
      | iloveyou123 |
      | 1q2w3e4r5t  |

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
