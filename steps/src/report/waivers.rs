//! Expected failures, each with a reason. A waived check that passes is a stale waiver and
//! fails the run, so waivers cannot outlive the problem they excuse.
//!
//! ```toml
//! [[waiver]]
//! check = "A code stops working 5 minutes after it was sent"   # scenario name, file:line, or property name
//! reason = "Our codes live 10 minutes until release 4.2 (ticket SEC-118)"
//! ```

use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub check: String,
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    waiver: Vec<Waiver>,
}

pub fn load(path: &Path) -> anyhow::Result<Vec<Waiver>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the waiver file {}", path.display()))?;
    let file: File =
        toml::from_str(&text).with_context(|| format!("in the waiver file {}", path.display()))?;
    for w in &file.waiver {
        anyhow::ensure!(!w.reason.trim().is_empty(), "the waiver for {:?} gives no reason", w.check);
    }
    Ok(file.waiver)
}
