//! Results per requirement ID, and the verdict of a run.

use std::fmt::Write as _;

use serde::Serialize;

use super::{ScenarioResult, Status};
use crate::requirements::{Catalogue, Requirement};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check that ran passed.
    Passed,
    /// At least one check failed.
    Failed,
    /// Checks exist but none ran (for example: they need clock control).
    NotRun,
    /// No scenario checks this requirement: a gap.
    Uncovered,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequirementResult {
    #[serde(flatten)]
    pub requirement: Requirement,
    /// `location — scenario name` of every scenario tagged with the ID.
    pub scenarios: Vec<String>,
    /// Property tests that check the ID.
    pub properties: Vec<String>,
    pub verdict: Verdict,
}

/// A property test's result: a check like a scenario, over many generated cases.
#[derive(Debug, Clone, Serialize)]
pub struct PropertyResult {
    pub name: String,
    pub ids: Vec<String>,
    pub cases: u32,
    pub status: Status,
    /// The shrunk failing schedule, or why it did not run.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub scenarios: Vec<ScenarioResult>,
    pub properties: Vec<PropertyResult>,
    pub requirements: Vec<RequirementResult>,
    /// Tags that look like requirement IDs but are not in the catalogue.
    pub unknown_ids: Vec<String>,
    pub parse_errors: Vec<String>,
    pub wall_time_secs: f64,
    /// Failed checks excused by a waiver, with its reason.
    pub waived: Vec<super::waivers::Waiver>,
    /// Waivers whose check passed or does not exist: they fail the run.
    pub stale_waivers: Vec<super::waivers::Waiver>,
}

impl Summary {
    pub fn new(
        catalogue: &Catalogue,
        scenarios: Vec<ScenarioResult>,
        properties: Vec<PropertyResult>,
        parse_errors: Vec<String>,
        wall_time_secs: f64,
    ) -> Self {
        let requirements = catalogue
            .requirements
            .iter()
            .map(|r| {
                let checks: Vec<&ScenarioResult> =
                    scenarios.iter().filter(|s| s.tags.contains(&r.id)).collect();
                let props: Vec<&PropertyResult> =
                    properties.iter().filter(|p| p.ids.contains(&r.id)).collect();
                let statuses: Vec<Status> =
                    checks.iter().map(|s| s.status).chain(props.iter().map(|p| p.status)).collect();
                let verdict = if statuses.is_empty() {
                    Verdict::Uncovered
                } else if statuses.contains(&Status::Failed) {
                    Verdict::Failed
                } else if statuses.contains(&Status::Passed) {
                    Verdict::Passed
                } else {
                    Verdict::NotRun
                };
                RequirementResult {
                    requirement: r.clone(),
                    scenarios: checks.iter().map(|s| format!("{} — {}", s.location, s.scenario)).collect(),
                    properties: props.iter().map(|p| p.name.clone()).collect(),
                    verdict,
                }
            })
            .collect();
        let mut unknown_ids: Vec<String> = scenarios
            .iter()
            .flat_map(|s| s.tags.iter())
            .filter(|t| Catalogue::is_id(t) && catalogue.get(t).is_none())
            .cloned()
            .collect();
        unknown_ids.sort();
        unknown_ids.dedup();
        Self {
            scenarios,
            properties,
            requirements,
            unknown_ids,
            parse_errors,
            wall_time_secs,
            waived: Vec::new(),
            stale_waivers: Vec::new(),
        }
    }

    /// Sorts waivers into those excusing a failure and stale ones.
    pub fn apply_waivers(&mut self, waivers: &[super::waivers::Waiver]) {
        for waiver in waivers {
            let matches = |name: &str, location: &str| waiver.check == name || waiver.check == location;
            let failed_scenario = self
                .scenarios
                .iter()
                .any(|s| matches(&s.scenario, &s.location) && s.status == Status::Failed);
            let failed_property =
                self.properties.iter().any(|p| p.name == waiver.check && p.status == Status::Failed);
            if failed_scenario || failed_property {
                self.waived.push(waiver.clone());
            } else {
                self.stale_waivers.push(waiver.clone());
            }
        }
    }

    fn is_waived(&self, name: &str, location: &str) -> bool {
        self.waived.iter().any(|w| w.check == name || w.check == location)
    }

    /// Failed scenarios no waiver excuses.
    pub fn unexcused_failures(&self) -> Vec<&ScenarioResult> {
        self.scenarios
            .iter()
            .filter(|s| s.status == Status::Failed && !self.is_waived(&s.scenario, &s.location))
            .collect()
    }

    pub fn count(&self, status: Status) -> usize {
        self.scenarios.iter().filter(|s| s.status == status).count()
    }

    pub fn count_ids(&self, verdict: Verdict) -> usize {
        self.requirements.iter().filter(|r| r.verdict == verdict).count()
    }

    /// Conformant: nothing failed, nothing was left undefined, every tag is a known ID.
    pub fn conformant(&self) -> bool {
        self.unexcused_failures().is_empty()
            && self.properties.iter().all(|p| p.status != Status::Failed || self.is_waived(&p.name, ""))
            && self.stale_waivers.is_empty()
            && self.parse_errors.is_empty()
            && self.unknown_ids.is_empty()
            && !self.scenarios.iter().any(|s| s.status == Status::Skipped && is_undefined(s))
            && !self.scenarios.is_empty()
    }

    /// The end-of-run text for a terminal.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "\nRequirements");
        for r in &self.requirements {
            let mark = match r.verdict {
                Verdict::Passed => "passed   ",
                Verdict::Failed => "FAILED   ",
                Verdict::NotRun => "not run  ",
                Verdict::Uncovered => "uncovered",
            };
            let properties = match r.properties.len() {
                0 => String::new(),
                n => format!(", {n} propert{}", if n == 1 { "y" } else { "ies" }),
            };
            let _ = writeln!(
                out,
                "  {mark} {:<7} {} ({} scenario{}{properties})",
                r.requirement.id,
                r.requirement.rule,
                r.scenarios.len(),
                if r.scenarios.len() == 1 { "" } else { "s" }
            );
        }
        let failed: Vec<&ScenarioResult> =
            self.scenarios.iter().filter(|s| s.status != Status::Passed).collect();
        if !failed.is_empty() {
            let _ = writeln!(out, "\nNot passed");
            for s in failed {
                let _ = writeln!(
                    out,
                    "  {:?} {} — {}\n      {}",
                    s.status,
                    s.location,
                    s.scenario,
                    s.detail.as_deref().unwrap_or("")
                );
            }
        }
        if !self.properties.is_empty() {
            let _ = writeln!(out, "\nProperties");
            for p in &self.properties {
                let _ =
                    writeln!(out, "  {:?} {} ({} cases; {})", p.status, p.name, p.cases, p.ids.join(", "));
                if let Some(detail) = &p.detail {
                    let _ = writeln!(out, "      {detail}");
                }
            }
        }
        for e in &self.parse_errors {
            let _ = writeln!(out, "  feature file error: {e}");
        }
        for w in &self.waived {
            let _ = writeln!(out, "  waived: {} — {}", w.check, w.reason);
        }
        for w in &self.stale_waivers {
            let _ = writeln!(
                out,
                "  STALE WAIVER (the check passed or does not exist): {} — {}",
                w.check, w.reason
            );
        }
        for id in &self.unknown_ids {
            let _ = writeln!(out, "  tag @{id} names no requirement in requirements.toml");
        }
        let _ = writeln!(
            out,
            "\n{} scenarios: {} passed, {} failed, {} skipped or not run  ({:.1} s)",
            self.scenarios.len(),
            self.count(Status::Passed),
            self.count(Status::Failed),
            self.count(Status::Skipped),
            self.wall_time_secs
        );
        let _ = writeln!(
            out,
            "{} requirement IDs: {} covered ({} passed, {} failed, {} not run), {} uncovered",
            self.requirements.len(),
            self.requirements.len() - self.count_ids(Verdict::Uncovered),
            self.count_ids(Verdict::Passed),
            self.count_ids(Verdict::Failed),
            self.count_ids(Verdict::NotRun),
            self.count_ids(Verdict::Uncovered),
        );
        let _ = writeln!(out, "verdict: {}", if self.conformant() { "CONFORMANT" } else { "NOT CONFORMANT" });
        // The plain closing line CI tools read.
        let _ = writeln!(
            out,
            "conformance: {} passed, {} failed, {} skipped",
            self.count(Status::Passed),
            self.count(Status::Failed),
            self.count(Status::Skipped)
        );
        out
    }
}

fn is_undefined(s: &ScenarioResult) -> bool {
    s.detail.as_deref().is_some_and(|d| d.starts_with("no step definition"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(tags: &[&str], status: Status) -> ScenarioResult {
        ScenarioResult {
            feature: "f".into(),
            scenario: "s".into(),
            location: "f.feature:1".into(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            status,
            detail: None,
            steps: Vec::new(),
            transcript: Vec::new(),
        }
    }

    #[test]
    fn verdicts_per_requirement() {
        let catalogue = Catalogue::parse(
            r#"
[[requirement]]
id = "OTP-1"
group = "OTP"
rule = "r"
source = "s"
[[requirement]]
id = "OTP-2"
group = "OTP"
rule = "r"
source = "s"
[[requirement]]
id = "OTP-3"
group = "OTP"
rule = "r"
source = "s"
"#,
        )
        .unwrap();
        let summary = Summary::new(
            &catalogue,
            vec![
                scenario(&["OTP-1", "serial"], Status::Passed),
                scenario(&["OTP-2"], Status::Passed),
                scenario(&["OTP-2"], Status::Failed),
                scenario(&["OTP-9"], Status::Passed),
            ],
            vec![],
            vec![],
            1.0,
        );
        let verdicts: Vec<Verdict> = summary.requirements.iter().map(|r| r.verdict).collect();
        assert_eq!(verdicts, [Verdict::Passed, Verdict::Failed, Verdict::Uncovered]);
        assert_eq!(summary.unknown_ids, ["OTP-9"]);
        assert!(!summary.conformant());
    }

    #[test]
    fn waivers_excuse_failures_and_stale_ones_fail_the_run() {
        use crate::report::waivers::Waiver;
        let catalogue = Catalogue::parse(
            "[[requirement]]\nid = \"OTP-1\"\ngroup = \"OTP\"\nrule = \"r\"\nsource = \"s\"\n",
        )
        .unwrap();
        let mut failing = scenario(&["OTP-1"], Status::Failed);
        failing.scenario = "codes expire".into();
        let mut passing = scenario(&["OTP-1"], Status::Passed);
        passing.scenario = "codes work".into();
        passing.location = "f.feature:9".into();
        let waiver = |check: &str| Waiver { check: check.into(), reason: "known".into() };

        let mut summary =
            Summary::new(&catalogue, vec![failing.clone(), passing.clone()], vec![], vec![], 1.0);
        assert!(!summary.conformant());
        summary.apply_waivers(&[waiver("codes expire")]);
        assert!(summary.conformant(), "the only failure is waived");

        let mut stale = Summary::new(&catalogue, vec![failing, passing], vec![], vec![], 1.0);
        stale.apply_waivers(&[waiver("f.feature:1"), waiver("codes work"), waiver("no such check")]);
        assert_eq!(stale.stale_waivers.len(), 2);
        assert!(!stale.conformant(), "stale waivers fail the run");
    }
}
