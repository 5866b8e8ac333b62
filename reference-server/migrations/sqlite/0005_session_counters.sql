-- ST-2: wrong current passwords are counted in the session's row, one statement per attempt,
-- so parallel requests on one session cannot spend more attempts than the limit (the state
-- JSON is rewritten whole by each request and could not hold such a count).
ALTER TABLE sessions ADD COLUMN reauth_attempts INTEGER NOT NULL DEFAULT 0;
