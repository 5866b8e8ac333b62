@load @alone @AV-1
Feature: Slow clients do not take the service away from others
  A client that opens a connection and sends its request a byte at a time holds whatever the
  service gives a connection; a few hundred of them can leave nothing for anyone else. The
  service must cut such clients off, and go on answering others meanwhile. This check loads the
  service, so it runs only when asked for (--tags @load): a team's shared staging service must
  not be loaded by surprise.

  Scenario: Slow clients are cut off and others are still answered
    When 200 clients open connections and send their requests a byte every 2 seconds
    Then other people's requests are answered meanwhile, each within 10 seconds
    And the service cuts every slow client off within 60 seconds
