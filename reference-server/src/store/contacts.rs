//! Contact data at rest. Email addresses and phone numbers must stay readable without the
//! person's password (a reset mails the address, sign-in texts the phone), so they are sealed
//! under a key the server holds outside the database and found by a keyed digest (HMAC):
//! someone with a copy of the database alone reads neither, nor can test a guess.

use crate::domain::{Email, Phone};
use crate::rules::tokens;
use crate::sealing;

use super::{StoreError, StoreResult};

#[derive(Clone)]
pub struct Contacts {
    seal_key: [u8; 32],
    lookup_key: [u8; 32],
}

impl std::fmt::Debug for Contacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Contacts(«keys»)")
    }
}

impl Contacts {
    pub fn new(seal_key: [u8; 32], lookup_key: [u8; 32]) -> Self {
        Self { seal_key, lookup_key }
    }

    pub fn seal(&self, value: &str) -> String {
        sealing::seal(&self.seal_key, value.as_bytes())
    }

    pub fn open(&self, sealed: &str) -> StoreResult<String> {
        let bytes = sealing::open(&self.seal_key, sealed).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        String::from_utf8(bytes).map_err(|_| StoreError::Corrupt("a sealed value is not text".into()))
    }

    /// The digest rows are found by (the same value always gives the same digest).
    pub fn lookup(&self, value: &str) -> String {
        tokens::keyed_digest(&self.lookup_key, value)
    }

    pub fn open_email(&self, sealed: &str) -> StoreResult<Email> {
        Email::parse(&self.open(sealed)?)
            .map_err(|_| StoreError::Corrupt("a stored address does not parse".into()))
    }

    pub fn open_phone(&self, sealed: &str) -> StoreResult<Phone> {
        Phone::parse(&self.open(sealed)?)
            .map_err(|_| StoreError::Corrupt("a stored number does not parse".into()))
    }
}
