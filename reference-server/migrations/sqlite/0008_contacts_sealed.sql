-- Contact data at rest (store/contacts.rs): `accounts.email` and `email_links.email` hold a
-- keyed digest of the address (for lookups and uniqueness) and `*_sealed` the address itself,
-- sealed; `codes.phone` and `sessions.state` hold sealed values. Rows written before this
-- migration are sealed by the server when it opens the database (it holds the key).
ALTER TABLE accounts ADD COLUMN email_sealed TEXT;
ALTER TABLE accounts ADD COLUMN phone_sealed TEXT;
ALTER TABLE email_links ADD COLUMN email_sealed TEXT;
