-- Reports that someone is misusing an address (SU-7): one per emailed report link, so a second
-- press of the same link is acknowledged with the same reference.
CREATE TABLE misuse_reports (
    id INTEGER PRIMARY KEY,
    link_id INTEGER NOT NULL UNIQUE,
    account_id INTEGER NOT NULL,
    reference TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
