//! The requirement catalogue (`features/requirements.toml`): every rule's ID, its wording and
//! its source. The report shows every ID, covered or not.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// Goes up whenever an ID or a rule changes; absent (0) in catalogues made for tests.
    #[serde(default)]
    version: u32,
    /// The rules' fingerprint at this version (`Catalogue::fingerprint`).
    #[serde(default)]
    fingerprint: Option<String>,
    requirement: Vec<Requirement>,
}

pub struct Catalogue {
    pub version: u32,
    /// The fingerprint the file states for its version.
    pub stated_fingerprint: Option<String>,
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
        Ok(Self {
            version: file.version,
            stated_fingerprint: file.fingerprint,
            requirements: file.requirement,
        })
    }

    /// What the version stands for: a SHA-256 over every ID, its group, its rule and whether
    /// it is checkable from outside (not the sources' wording, nor which checks cover it).
    pub fn fingerprint(&self) -> String {
        use sha2::Digest as _;
        let mut hash = sha2::Sha256::new();
        for r in &self.requirements {
            for part in [&r.id, &r.group, &r.rule, r.not_checkable_from_outside.as_deref().unwrap_or("")] {
                hash.update(part.as_bytes());
                hash.update([0]);
            }
        }
        hash.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Reports name the catalogue's version; it must move whenever an ID or a rule changes.
    #[test]
    fn the_catalogue_version_moves_with_its_rules() {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../features/requirements.toml");
        let catalogue = Catalogue::load(&file).unwrap();
        assert!(catalogue.version >= 1, "requirements.toml states no version");
        assert_eq!(
            catalogue.stated_fingerprint.as_deref(),
            Some(catalogue.fingerprint().as_str()),
            "the rules of requirements.toml changed: raise its `version` (now {}) and set \
             `fingerprint = \"{}\"`",
            catalogue.version,
            catalogue.fingerprint()
        );
    }

    #[test]
    fn the_fingerprint_sees_a_changed_rule_but_not_a_changed_source() {
        let at = |rule: &str, source: &str| {
            Catalogue::parse(&format!(
                "[[requirement]]\nid = \"SU-1\"\ngroup = \"SU\"\nrule = \"{rule}\"\nsource = \"{source}\"\n"
            ))
            .unwrap()
            .fingerprint()
        };
        assert_ne!(at("a", "s"), at("b", "s"));
        assert_eq!(at("a", "s"), at("a", "t"));
    }
}
