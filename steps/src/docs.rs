//! The specification as a page an auditor reads instead of the repository
//! (`conformance docs --out DIR`): every requirement group, each rule in its words with its
//! source, the scenarios that check it in their own Gherkin, and — given a report — the latest
//! result of each rule.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use askama::Template;
use cucumber::gherkin::{Feature, GherkinEnv};

use crate::requirements::Catalogue;

/// One scenario as written, with the tags that apply to it (feature, rule and its own).
pub struct WrittenScenario {
    pub file: String,
    pub line: usize,
    pub name: String,
    pub tags: Vec<String>,
    /// The scenario's Gherkin, exactly as in its file (examples included).
    pub text: String,
}

/// Every scenario of the feature files in `features`, in file order.
pub fn scenarios(features: &Path) -> anyhow::Result<Vec<WrittenScenario>> {
    let mut found = Vec::new();
    for path in crate::catalogue::feature_files(features)? {
        let source =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let feature = Feature::parse(&source, GherkinEnv::default())
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let plain = feature.scenarios.iter().map(|s| (None, s));
        let ruled = feature.rules.iter().flat_map(|r| r.scenarios.iter().map(move |s| (Some(r), s)));
        for (rule, scenario) in plain.chain(ruled) {
            let tags = feature
                .tags
                .iter()
                .chain(rule.iter().flat_map(|r| r.tags.iter()))
                .chain(scenario.tags.iter())
                .map(|t| t.trim_start_matches('@').to_owned())
                .collect();
            let slice =
                |span: &cucumber::gherkin::Span| dedent(source.get(span.start..span.end).unwrap_or_default());
            // What runs before it (the feature's and the rule's Background) belongs to reading it.
            let mut parts: Vec<String> = feature.background.iter().map(|b| slice(&b.span)).collect();
            parts.extend(rule.and_then(|r| r.background.as_ref()).map(|b| slice(&b.span)));
            parts.push(slice(&scenario.span));
            found.push(WrittenScenario {
                file: file.clone(),
                line: scenario.position.line,
                name: scenario.name.clone(),
                tags,
                text: parts.join("\n\n"),
            });
        }
    }
    Ok(found)
}

/// The text with the indentation its lines share removed.
fn dedent(text: &str) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let indent = lines
        .iter()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = lines.first().map(|l| l.trim_start().to_owned()).unwrap_or_default();
    for line in lines.iter().skip(1) {
        out.push('\n');
        out.push_str(line.get(indent.saturating_sub(2)..).unwrap_or(line.trim_start()));
    }
    out
}

fn group_title(code: &str) -> &str {
    match code {
        "SU" => "Creating an account",
        "PW" => "Passwords",
        "PH" => "Adding and confirming a phone",
        "OTP" => "Security codes",
        "PK" => "The personal key",
        "SI" => "Signing in and out",
        "PR" => "A forgotten password",
        "ST" => "Account settings",
        "PV" => "Privacy and security notices",
        "AG" => "Agencies (OpenID Connect)",
        "IV" => "Identity verification",
        "AX" => "Accessibility",
        "AV" => "Availability",
        other => other,
    }
}

struct ScenarioView {
    place: String,
    name: String,
    text: String,
}

struct RuleView {
    id: String,
    rule: String,
    source: String,
    /// The latest result and its CSS class, when a report was given.
    result: Option<(String, &'static str)>,
    scenarios: Vec<ScenarioView>,
    other_checks: Vec<String>,
    not_checkable: Option<String>,
}

struct GroupView {
    code: String,
    title: String,
    rules: Vec<RuleView>,
}

#[derive(Template)]
#[template(path = "docs.html")]
struct DocsPage {
    groups: Vec<GroupView>,
    /// The report the results come from: its verdict and when it ran.
    report: Option<String>,
    rules: usize,
    scenarios: usize,
}

/// The results of a report directory's `summary.json`: ID → verdict, and the verdict line.
fn results(report: &Path) -> anyhow::Result<(BTreeMap<String, String>, String)> {
    let file = report.join("summary.json");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?,
    )?;
    let verdicts = json["requirements"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_owned(),
                r["verdict"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let manifest: Option<serde_json::Value> = std::fs::read_to_string(report.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let when = manifest
        .as_ref()
        .and_then(|m| m["started_at"].as_str())
        .map(|t| format!(", run {t}"))
        .unwrap_or_default();
    Ok((verdicts, format!("{}{when}", json["verdict_text"].as_str().unwrap_or_default())))
}

/// The page for the features (and catalogue) in `features`, with results from `report`.
pub fn render(features: &Path, report: Option<&Path>) -> anyhow::Result<String> {
    let catalogue = Catalogue::load(&features.join("requirements.toml"))?;
    let written = scenarios(features)?;
    let (verdicts, report) = match report {
        Some(dir) => {
            let (verdicts, line) = results(dir)?;
            (verdicts, Some(line))
        }
        None => (BTreeMap::new(), None),
    };
    let mut groups: Vec<GroupView> = Vec::new();
    for r in catalogue.requirements {
        let scenarios = written
            .iter()
            .filter(|s| s.tags.contains(&r.id))
            .map(|s| ScenarioView {
                place: format!("{}:{}", s.file, s.line),
                name: s.name.clone(),
                text: s.text.clone(),
            })
            .collect();
        let mut other_checks = r.other_checks.clone();
        for property in crate::properties::properties_checking(&r.id) {
            other_checks.push(format!("property: {property}"));
        }
        let result = verdicts.get(&r.id).map(|v| {
            let class = match v.as_str() {
                "passed" => "passed",
                "failed" => "failed",
                _ => "unchecked",
            };
            (v.replace('_', " "), class)
        });
        let view = RuleView {
            id: r.id,
            rule: r.rule,
            source: r.source,
            result,
            scenarios,
            other_checks,
            not_checkable: r.not_checkable_from_outside,
        };
        match groups.last_mut() {
            Some(group) if group.code == r.group => group.rules.push(view),
            _ => groups.push(GroupView {
                title: group_title(&r.group).to_owned(),
                code: r.group,
                rules: vec![view],
            }),
        }
    }
    let rules = groups.iter().map(|g| g.rules.len()).sum();
    Ok(DocsPage { groups, report, rules, scenarios: written.len() }.render()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_shown_with_the_scenarios_that_check_it() {
        let features = Path::new(env!("CARGO_MANIFEST_DIR")).join("../features");
        let page = render(&features, None).unwrap();
        let catalogue = Catalogue::load(&features.join("requirements.toml")).unwrap();
        for r in &catalogue.requirements {
            assert!(page.contains(&format!("id=\"{}\"", r.id)), "{} is missing", r.id);
        }
        // A scenario inside a Rule block carries the Rule's tags too, and its Gherkin is shown.
        assert!(page.contains("Scenario: A failed PKCE exchange leaves the code no easier to use"));
        assert!(page.contains("| zqvm3kw "), "examples tables are shown");
        assert!(page.contains("Background:"), "what runs before a scenario is shown with it");
        assert!(!page.contains("<script"), "the page is static");
    }
}
