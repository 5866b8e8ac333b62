-- Verified identity (IV-1, PV-2, PR-4). The identity is sealed under a random data key per
-- account; the data key is stored only wrapped: under a key derived (argon2id) from the
-- password, and under one derived from the personal key issued with it. Nothing the operator
-- holds (this file, the server key) unwraps either.
CREATE TABLE verified_profiles (
    account_id            INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    identity_sealed       TEXT NOT NULL,     -- JSON, sealed under the data key
    key_by_password       TEXT,              -- NULL: deactivated (a reset without the personal key)
    password_kdf          TEXT,              -- argon2id cost and salt of the password's key
    key_by_personal_key   TEXT NOT NULL,
    personal_key_kdf      TEXT NOT NULL,
    method                TEXT NOT NULL,     -- 'remote'
    verified_at           INTEGER NOT NULL
);

-- For an agency asking for verified identity, the attributes it was given, sealed under a key
-- only the authorization code (then the access token) carries.
ALTER TABLE authorization_codes ADD COLUMN identity_sealed TEXT;
ALTER TABLE access_tokens ADD COLUMN identity_sealed TEXT;
