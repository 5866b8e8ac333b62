-- Mail waiting to be sent: written in the request's answer path, sent afterwards by a worker
-- with retries, so an answer never waits for (or reveals) the mail server, and a mail-server
-- outage loses nothing. The message is sealed: it carries link tokens and the address.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    sealed        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    claimed_until INTEGER
);
