-- Times are Unix milliseconds (UTC). Secrets are stored only as hashes.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,      -- normalized: trimmed, lower-case
    password_hash TEXT NOT NULL,             -- argon2id PHC string
    created_at    INTEGER NOT NULL
);

-- Emailed links: sign-up confirmation, password reset, email change.
CREATE TABLE email_links (
    id            INTEGER PRIMARY KEY,
    purpose       TEXT NOT NULL,
    email         TEXT NOT NULL,
    account_id    INTEGER REFERENCES accounts(id),
    token_digest  TEXT NOT NULL UNIQUE,      -- SHA-256 of the token
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER,
    superseded_at INTEGER                    -- set when a newer link for the same purpose and address is sent
);
CREATE INDEX email_links_by_address ON email_links (purpose, email);

-- Events counted by sliding-window limits, keyed by what is limited ("confirmation-email:a@b.c").
CREATE TABLE limited_events (
    key TEXT NOT NULL,
    at  INTEGER NOT NULL
);
CREATE INDEX limited_events_by_key ON limited_events (key, at);

CREATE TABLE sessions (
    id_digest    TEXT PRIMARY KEY,           -- SHA-256 of the cookie value
    state        TEXT NOT NULL,              -- JSON
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
