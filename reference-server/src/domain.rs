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
/// or by opening what the store sealed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, crate::rules::email::InvalidEmail> {
        crate::rules::email::normalize(raw).map(Self)
    }
}

/// A phone number in E.164 form (`rules/phone.rs`): made only by parsing, or by opening what
/// the store sealed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, crate::rules::phone::InvalidPhone> {
        crate::rules::phone::normalize(raw).map(Self)
    }
}

/// Parsed text, read as text wherever text is wanted (messages, templates, digests); it
/// cannot be changed.
macro_rules! read_as_text {
    ($($name:ident),*) => {$(
        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

read_as_text!(Email, Phone);
