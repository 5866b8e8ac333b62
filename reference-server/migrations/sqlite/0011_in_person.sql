-- In-person verification at a Post Office (IV-2). The identity is sealed and wrapped as for a
-- remote verification when the person enrolls, but counts only once the Post Office says they
-- passed: until then the profile is pending.
ALTER TABLE verified_profiles ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;

CREATE TABLE in_person_enrollments (
    account_id       INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    enrollment_code  TEXT NOT NULL,      -- what the person brings to the Post Office
    unique_id        TEXT NOT NULL,      -- the service's random name for the person at USPS
    post_office      TEXT NOT NULL,      -- JSON: the Post Office chosen (public data)
    status           TEXT NOT NULL,      -- pending | passed | failed | expired
    created_at       INTEGER NOT NULL,
    deadline         INTEGER NOT NULL,
    decided_at       INTEGER
);
CREATE INDEX in_person_pending ON in_person_enrollments (status, deadline);
