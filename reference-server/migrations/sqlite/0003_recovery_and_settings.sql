-- Password reset, settings changes and the authenticator app.

ALTER TABLE accounts ADD COLUMN reissue_personal_key INTEGER NOT NULL DEFAULT 0;  -- set by a password reset (PK-4)
ALTER TABLE accounts ADD COLUMN totp_secret_sealed TEXT;   -- XChaCha20-Poly1305 under the server's secret key
ALTER TABLE accounts ADD COLUMN totp_last_step INTEGER;    -- newest time step accepted: older or equal ones are replays
