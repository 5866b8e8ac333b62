-- A code is checked and superseded without reading every code the account was ever sent: the
-- code an entry matches is found by its digest, the newest by the account's index (now ending
-- in the id, as SQLite's does), and the codes a new one supersedes by an index of those still
-- open.
DROP INDEX codes_by_account;
CREATE INDEX codes_by_account ON codes (account_id, purpose, id);
CREATE INDEX codes_by_digest ON codes (account_id, purpose, code_digest, id);
CREATE INDEX codes_open ON codes (account_id, purpose) WHERE used_at IS NULL AND superseded_at IS NULL;
