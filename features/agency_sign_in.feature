@agency
Feature: Signing in for an agency
  Agencies send people here to sign in and get them back through OpenID Connect: the agency
  receives a short-lived, single-use code and exchanges it for a signed ID token. Nothing about
  the person reaches an agency until the person has agreed, and each agency knows the person by
  an identifier of its own.

  Two agencies take part. The benefits agency proves who it is with a signed client assertion
  (private_key_jwt) and may ask for the email address and the phone number. The parks agency is
  a public client that proves possession of its request with PKCE and may ask for the email
  address only.

  @AG-1 @AG-2 @PV-3
  Scenario: An agency sends me to sign in and gets me back once I agree
    Given I have an account with a confirmed phone
    When the benefits agency sends me to sign in for my email address and phone number
    Then I am asked to sign in first
    When I sign in with my password and a texted security code
    And I continue to the agency
    Then I am asked to share my email address and phone number with the benefits agency
    When I agree to share
    Then I am sent back to the benefits agency with a code and the state it sent
    When the benefits agency exchanges the code
    Then it receives an ID token for me signed by the service, with its nonce, the assurance level and the time I signed in
    And its userinfo request returns my email address and phone number
    And the benefits agency is among the agencies I share with

  @AG-1 @AG-2
  Scenario: Someone without an account creates one on the way
    When the parks agency sends me to sign in for my email address
    Then I am asked to sign in first
    When I create an account with my email address, a password and my phone
    And I continue to the agency
    Then I am asked to share my email address with the parks agency
    When I agree to share
    Then I am sent back to the parks agency with a code and the state it sent
    When the parks agency exchanges the code
    Then it receives an ID token for me signed by the service, with its nonce, the assurance level and the time I signed in
    And its userinfo request returns my email address and nothing else

  @AG-2 @PV-3
  Scenario: Declining shares nothing
    Given I have an account with a confirmed phone
    When the benefits agency sends me to sign in for my email address and phone number
    And I sign in with my password and a texted security code
    And I continue to the agency
    And I decline to share
    Then I am sent back to the benefits agency with the error "access_denied" and the state it sent
    And the benefits agency is not among the agencies I share with

  @AG-2
  Scenario: My consent is remembered for the same agency and the same information
    Given I have an account with a confirmed phone
    And I have shared my email address with the benefits agency
    When I start again on a new device
    And the benefits agency sends me to sign in for my email address
    And I sign in with my password and a texted security code
    And I continue to the agency
    Then I am sent back to the benefits agency with a code and the state it sent

  @AG-2
  Scenario: I am asked again when the agency wants more
    Given I have an account with a confirmed phone
    And I have shared my email address with the benefits agency
    When the benefits agency sends me to sign in for my email address and phone number
    Then I am asked to share my email address and phone number with the benefits agency

  @AG-3
  Scenario: Each agency knows me by its own identifier, the same every time
    Given I have an account with a confirmed phone
    And I have shared my email address with the benefits agency
    And I have shared my email address with the parks agency
    Then the two agencies know me by different identifiers
    When the benefits agency sends me to sign in for my email address
    And the benefits agency exchanges the code
    Then it receives an ID token for me signed by the service, with its nonce, the assurance level and the time I signed in
    And the benefits agency knows me by the same identifier as before

  @PV-3 @AG-2
  Scenario: After I stop sharing, the agency's tokens stop working and it must ask again
    Given I have an account with a confirmed phone
    And I have shared my email address with the benefits agency
    When I stop sharing with the benefits agency
    Then the benefits agency's userinfo request is refused
    And the benefits agency is not among the agencies I share with
    When the benefits agency sends me to sign in for my email address
    Then I am asked to share my email address with the benefits agency

  @AG-1 @IV-1
  Scenario: An agency not registered for verified identity is told it cannot have it
    Given I have an account with a confirmed phone
    When the parks agency sends me to sign in asking for verified identity
    Then I am sent back to the parks agency with the error "unmet_authentication_requirements" and the state it sent

  @AG-1
  Scenario: An agency can ask me to sign in again even though I am signed in
    Given I have an account with a confirmed phone
    And I have shared my email address with the benefits agency
    When the benefits agency sends me to sign in for my email address, asking me to sign in again
    Then I am asked to sign in first

  @AG-1 @PV-3
  Scenario: An agency cannot ask for more than it is registered for
    Given I have an account with a confirmed phone
    When the parks agency sends me to sign in for my email address and phone number
    Then I am sent back to the parks agency with the error "invalid_scope" and the state it sent

  @AG-1
  Scenario: Signing out from an agency signs me out here and returns me to its registered address
    Given I have an account with a confirmed phone
    And I have shared my email address with the benefits agency
    When the benefits agency signs me out, returning me to its registered address
    Then I am sent to the benefits agency's signed-out address with the state it sent
    And I am not signed in

  Rule: Requests that cannot be trusted send the person nowhere

    @AG-1
    Scenario: An unregistered return address is refused without a redirect
      When the benefits agency sends me to sign in with an unregistered return address
      Then I am shown an error and not sent anywhere

    @AG-1
    Scenario: An unknown agency is refused without a redirect
      When an unregistered agency sends me to sign in
      Then I am shown an error and not sent anywhere

    @AG-1
    Scenario: A logout with an unregistered return address sends me nowhere and keeps me signed in
      Given I have an account with a confirmed phone
      And I have shared my email address with the benefits agency
      When the benefits agency signs me out, returning me to an unregistered address
      Then I am shown an error and not sent anywhere
      And I am still signed in

  Rule: The token endpoint gives tokens only for a live code, once, to the agency that asked

    @AG-1
    Scenario: A public agency must use PKCE
      Given I have an account with a confirmed phone
      When the parks agency sends me to sign in for my email address without PKCE
      Then I am sent back to the parks agency with the error "invalid_request" and the state it sent

    @AG-1
    Scenario Outline: The code is refused without the right PKCE verifier
      Given I have an account with a confirmed phone
      And the parks agency has sent me to sign in for my email address and I was sent back with a code
      When the parks agency exchanges the code <how>
      Then the exchange is refused as "invalid_grant"

      Examples:
        | how                         |
        | with a wrong PKCE verifier  |
        | without its PKCE verifier   |

    @AG-1
    Scenario: A failed PKCE exchange leaves the code no easier to use
      A service may keep the code for the agency after a failed exchange or spend it; either
      way it must still ask for the verifier, and give tokens for the code once at most.

      Given I have an account with a confirmed phone
      And the parks agency has sent me to sign in for my email address and I was sent back with a code
      When the parks agency exchanges the code with a wrong PKCE verifier
      Then the exchange is refused as "invalid_grant"
      When the parks agency exchanges the code without its PKCE verifier
      Then the exchange is refused as "invalid_grant"
      When the parks agency exchanges the code with its right verifier
      Then the code gives tokens once at most

    @AG-1
    Scenario: A verifier for a code requested without PKCE is refused as a downgrade
      Given I have an account with a confirmed phone
      And the benefits agency has sent me to sign in for my email address without PKCE and I was sent back with a code
      When the benefits agency exchanges the code with a PKCE verifier it never committed to
      Then the exchange is refused as "invalid_grant"

    @AG-1
    Scenario: An agency that signs its client assertion may leave PKCE out
      Given I have an account with a confirmed phone
      And the benefits agency has sent me to sign in for my email address without PKCE and I was sent back with a code
      When the benefits agency exchanges the code
      Then the exchange succeeds

    @AG-1
    Scenario Outline: The code is refused unless the agency names the return address it asked for
      Given I have an account with a confirmed phone
      And the benefits agency has sent me to sign in for my email address and I was sent back with a code
      When the benefits agency exchanges the code <how>
      Then the exchange is refused as "<error>"

      Examples:
        | how                               | error           |
        | naming another return address     | invalid_grant   |
        | without naming its return address | invalid_request |

    @AG-1
    Scenario Outline: The code is refused when the agency's client assertion is not right
      Given I have an account with a confirmed phone
      And the benefits agency has sent me to sign in for my email address and I was sent back with a code
      When the benefits agency exchanges the code <how>
      Then the exchange is refused as "invalid_client"

      Examples:
        | how                                                  |
        | with a client assertion signed by another key        |
        | with a client assertion for another audience         |
        | with a client assertion that has expired             |
        | with a client assertion that claims to last an hour  |
        | with a client assertion not valid for another hour   |
        | with a client assertion issued five minutes from now |

    @AG-1
    Scenario: A client assertion works once
      Given I have an account with a confirmed phone
      And the benefits agency has sent me to sign in for my email address and I was sent back with a code
      And the benefits agency has exchanged the code
      And the benefits agency has sent me to sign in for my email address and I was sent back with a code
      When the benefits agency exchanges the code replaying its client assertion
      Then the exchange is refused as "invalid_client"

    @AG-1
    Scenario: A code works once, and using it again revokes what it gave
      Given I have an account with a confirmed phone
      And the benefits agency has sent me to sign in for my email address and I was sent back with a code
      When the benefits agency exchanges the code
      Then its userinfo request returns my email address and nothing else
      When the benefits agency exchanges the code again
      Then the exchange is refused as "invalid_grant"
      And the benefits agency's userinfo request is refused

    @AG-1 @serial
    Scenario Outline: A code can be exchanged for 5 minutes
      Given I have an account with a confirmed phone
      And the benefits agency has sent me to sign in for my email address and I was sent back with a code
      When <wait> pass
      And the benefits agency exchanges the code
      Then the exchange <result>

      Examples:
        | wait                     | result                         |
        | 4 minutes and 59 seconds | succeeds                       |
        | 5 minutes                | is refused as "invalid_grant"  |
