//! Expected failures and expected gaps, each with a reason.
//!
//! A waived check that passes is a stale waiver and fails the run, so waivers cannot outlive
//! the problem they excuse. Likewise a requirement declared unchecked that a run did check is
//! stale: the declaration must go.
//!
//! ```toml
//! [[waiver]]
//! check = "A code stops working 5 minutes after it was sent"   # scenario name, file:line, or property name
//! reason = "Our codes live 10 minutes until release 4.2 (ticket SEC-118)"
//!
//! [[unchecked]]
//! id = "IV-1"                                                   # a requirement ID
//! reason = "We do not offer identity verification (no agency asks for it)"
//! ```

use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub check: String,
    pub reason: String,
}

/// A requirement the team knows its run leaves unchecked, and why.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclaredUnchecked {
    pub id: String,
    pub reason: String,
}

/// Everything a waiver file declares.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waivers {
    #[serde(default, rename = "waiver")]
    pub waivers: Vec<Waiver>,
    #[serde(default)]
    pub unchecked: Vec<DeclaredUnchecked>,
}

impl Waivers {
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let file: Self = toml::from_str(text)?;
        for w in &file.waivers {
            anyhow::ensure!(!w.reason.trim().is_empty(), "the waiver for {:?} gives no reason", w.check);
        }
        for u in &file.unchecked {
            anyhow::ensure!(!u.reason.trim().is_empty(), "[[unchecked]] {:?} gives no reason", u.id);
        }
        Ok(file)
    }

    pub fn declared(&self, id: &str) -> Option<&DeclaredUnchecked> {
        self.unchecked.iter().find(|u| u.id == id)
    }
}

pub fn load(path: &Path) -> anyhow::Result<Waivers> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the waiver file {}", path.display()))?;
    Waivers::parse(&text).with_context(|| format!("in the waiver file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_required() {
        let e = Waivers::parse("[[unchecked]]\nid = \"IV-1\"\nreason = \" \"").unwrap_err();
        assert!(e.to_string().contains("IV-1"), "{e}");
        let w = Waivers::parse("[[unchecked]]\nid = \"IV-1\"\nreason = \"not offered\"").unwrap();
        assert_eq!(w.declared("IV-1").map(|d| d.reason.as_str()), Some("not offered"));
        assert!(Waivers::parse("[[uncheked]]\nid = \"IV-1\"\nreason = \"x\"").is_err());
    }
}
