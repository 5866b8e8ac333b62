-- Phone, security codes, personal key, and the account-level lockout of code entry.

ALTER TABLE accounts ADD COLUMN phone TEXT;                           -- E.164, once confirmed
ALTER TABLE accounts ADD COLUMN personal_key_hash TEXT;               -- argon2id of the normalized key
ALTER TABLE accounts ADD COLUMN completed_at INTEGER;                 -- sign-up finished (phone confirmed)
ALTER TABLE accounts ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;  -- wrong codes / keys since the last success or lockout
ALTER TABLE accounts ADD COLUMN locked_until INTEGER;                 -- code and key entry refused until then

CREATE TABLE codes (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    purpose       TEXT NOT NULL,          -- 'confirm_phone' | 'sign_in'
    phone         TEXT NOT NULL,
    code_digest   TEXT NOT NULL,          -- HMAC-SHA256 under the server's code key
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER,
    superseded_at INTEGER
);
CREATE INDEX codes_by_account ON codes (account_id, purpose);
