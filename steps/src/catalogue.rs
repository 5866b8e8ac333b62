//! Which checks cover which requirement, read from the feature files' tags and the property
//! tests' declared IDs, without running anything.

use std::path::Path;

use anyhow::Context as _;
use cucumber::gherkin::{Feature, GherkinEnv};

use crate::properties::properties_checking;
use crate::requirements::{Catalogue, Requirement};

pub struct Coverage {
    pub requirement: Requirement,
    /// `file:line — scenario`, and property names.
    pub checks: Vec<String>,
}

/// The feature files in `features`, in name order.
pub fn feature_files(features: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<_> = std::fs::read_dir(features)
        .with_context(|| format!("cannot read {}", features.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "feature"))
        .collect();
    files.sort();
    Ok(files)
}

pub fn coverage(features: &Path) -> anyhow::Result<Vec<Coverage>> {
    let catalogue = Catalogue::load(&features.join("requirements.toml"))?;
    let mut tagged: Vec<(Vec<String>, String)> = Vec::new();
    for path in feature_files(features)? {
        let feature = Feature::parse_path(&path, GherkinEnv::default())
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let scenarios = feature.scenarios.iter().chain(feature.rules.iter().flat_map(|r| r.scenarios.iter()));
        for scenario in scenarios {
            let tags = feature
                .tags
                .iter()
                .chain(scenario.tags.iter())
                .map(|t| t.trim_start_matches('@').to_owned())
                .collect();
            tagged.push((tags, format!("{file}:{} — {}", scenario.position.line, scenario.name)));
        }
    }
    Ok(catalogue
        .requirements
        .into_iter()
        .map(|requirement| {
            let mut checks: Vec<String> = tagged
                .iter()
                .filter(|(tags, _)| tags.contains(&requirement.id))
                .map(|(_, name)| name.clone())
                .collect();
            for property in properties_checking(&requirement.id) {
                checks.push(format!("property: {property}"));
            }
            Coverage { requirement, checks }
        })
        .collect())
}
