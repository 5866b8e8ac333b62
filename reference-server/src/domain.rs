//! Values parsed once, at the edge, and passed around typed ("parse, don't validate"): an
//! address is normalised exactly once, and an account's id is never confused with another number.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An account's id, as the store assigned it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct AccountId(i64);

impl AccountId {
    /// The number the store keeps (for rules that derive values from it).
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An email address, normalised (`rules/email.rs`): made only by parsing what a person typed,
/// or read back from the store, which keeps only parsed addresses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, crate::rules::email::InvalidEmail> {
        crate::rules::email::normalize(raw).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Read as text wherever text is wanted (messages, templates); it cannot be changed.
impl std::ops::Deref for Email {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number in E.164 form (`rules/phone.rs`): made only by parsing, or read back from
/// the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[serde(transparent)]
#[sqlx(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, crate::rules::phone::InvalidPhone> {
        crate::rules::phone::normalize(raw).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Read as text wherever text is wanted (messages, templates); it cannot be changed.
impl std::ops::Deref for Phone {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
