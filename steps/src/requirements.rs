//! The requirement catalogue (`features/requirements.toml`): every rule's ID, its wording and
//! its source. The report shows every ID, covered or not.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub id: String,
    pub group: String,
    pub rule: String,
    pub source: String,
    /// Checks outside the Gherkin scenarios (unit or property tests), by name.
    #[serde(default)]
    pub other_checks: Vec<String>,
    /// Set (with why) for a rule no outside observer can check, such as how a secret is
    /// stored: the report lists it as such and it does not count as unchecked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_checkable_from_outside: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    requirement: Vec<Requirement>,
}

pub struct Catalogue {
    pub requirements: Vec<Requirement>,
}

impl Catalogue {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let file: File = toml::from_str(text)?;
        let mut seen = BTreeMap::new();
        for r in &file.requirement {
            anyhow::ensure!(seen.insert(r.id.clone(), ()).is_none(), "requirement {} is listed twice", r.id);
            anyhow::ensure!(
                r.id.starts_with(&format!("{}-", r.group)),
                "requirement {} is not in group {}",
                r.id,
                r.group
            );
        }
        Ok(Self { requirements: file.requirement })
    }

    pub fn get(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    /// Whether `tag` (without `@`) names a requirement ID, such as `OTP-1`.
    pub fn is_id(tag: &str) -> bool {
        tag.split_once('-').is_some_and(|(group, n)| {
            !group.is_empty() && group.chars().all(|c| c.is_ascii_uppercase()) && n.parse::<u32>().is_ok()
        })
    }
}
