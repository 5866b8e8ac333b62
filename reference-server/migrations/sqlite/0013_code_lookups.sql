-- A code is checked and superseded without reading every code the account was ever sent (a
-- table row each): the code an entry matches is found by its digest, the newest by the
-- account's index (which ends in the row id), and the codes a new one supersedes by an index
-- of those still open.
CREATE INDEX codes_by_digest ON codes (account_id, purpose, code_digest);
CREATE INDEX codes_open ON codes (account_id, purpose) WHERE used_at IS NULL AND superseded_at IS NULL;
