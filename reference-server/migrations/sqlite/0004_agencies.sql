-- Agency sign-in (OpenID Connect): consents, authorization codes, access tokens, and the
-- client-assertion ids already seen. Codes and tokens are stored as SHA-256 digests.

CREATE TABLE consents (
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL,
    attributes  TEXT NOT NULL,          -- space-separated, sorted: what the person agreed to share
    granted_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, client_id)
);

CREATE TABLE authorization_codes (
    id              INTEGER PRIMARY KEY,
    code_digest     TEXT NOT NULL UNIQUE,
    client_id       TEXT NOT NULL,
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    redirect_uri    TEXT NOT NULL,
    attributes      TEXT NOT NULL,
    nonce           TEXT NOT NULL,
    code_challenge  TEXT,               -- PKCE S256 challenge, when the agency sent one
    acr             TEXT NOT NULL,
    auth_time       INTEGER NOT NULL,   -- when the person signed in
    created_at      INTEGER NOT NULL,
    used_at         INTEGER             -- set once; a second exchange revokes what the first issued
);

CREATE TABLE access_tokens (
    token_digest  TEXT PRIMARY KEY,
    code_id       INTEGER NOT NULL REFERENCES authorization_codes (id) ON DELETE CASCADE,
    client_id     TEXT NOT NULL,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    attributes    TEXT NOT NULL,
    expires_at    INTEGER NOT NULL,
    revoked       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX access_tokens_by_account ON access_tokens (account_id, client_id);

CREATE TABLE client_assertions (
    client_id   TEXT NOT NULL,
    jti         TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti)
);
