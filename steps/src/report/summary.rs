//! Results per requirement ID, and the verdict of a run.
//!
//! A requirement is *checked* when every check that covers it ran, and *passed* when they all
//! passed. The run is `CONFORMANT` only when every requirement was checked and passed; anything
//! unchecked makes it `INCOMPLETE` unless the team declared it (`[[unchecked]]`, with a reason)
//! or filtered it out itself (`--tags`, `--name`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::waivers::{DeclaredUnchecked, Waiver, Waivers};
use super::{ScenarioResult, Status};
use crate::requirements::{Catalogue, Requirement};

/// Why a check did not run because the user's own filter left it out.
pub const FILTERED_OUT: &str = "not run: filtered out (--tags/--name)";

/// Why a sharded run did not run a check: another shard runs it (`--shard K/N`). Counted as
/// filtered out: `conformance report merge` puts the shards' results together.
pub const OTHER_SHARD: &str = "not run: another shard's (--shard)";

/// Whether a check was left out on purpose by the user's selection (filters or shards).
pub fn left_out_by_choice(reason: &str) -> bool {
    reason == FILTERED_OUT || reason == OTHER_SHARD
}
/// Why checks did not run after the run stopped early.
pub const STOPPED_EARLY: &str = "not run: stopped early";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check of it ran and passed.
    Passed,
    /// At least one check failed.
    Failed,
    /// Checks exist but not all of them ran (`why` says which and why).
    NotRun,
    /// No check in the suite covers it: a gap.
    Uncovered,
    /// No outside observer can check it (the catalogue says why); it does not count.
    NotCheckable,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RequirementResult {
    #[serde(flatten)]
    pub requirement: Requirement,
    /// `location — scenario name` of every scenario tagged with the ID.
    pub scenarios: Vec<String>,
    /// Property tests that check the ID.
    pub properties: Vec<String>,
    pub verdict: Verdict,
    /// For an unchecked ID: why (which checks did not run, and their reasons).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// Unchecked only because the user's filter left its checks out.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub filtered_out: bool,
    /// The team's declaration that this ID goes unchecked, with its reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_unchecked: Option<String>,
}

impl RequirementResult {
    /// Not checked by this run, for whatever reason (a not-checkable rule does not count).
    pub fn unchecked(&self) -> bool {
        matches!(self.verdict, Verdict::NotRun | Verdict::Uncovered)
    }
}

/// A property test's result: a check like a scenario, over many generated cases.
#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct PropertyResult {
    pub name: String,
    pub ids: Vec<String>,
    pub cases: u32,
    pub status: Status,
    /// The shrunk failing schedule, or why it did not run.
    pub detail: Option<String>,
    /// When it failed: the IDs the failure is blamed on (the rule whose prediction the
    /// target did not meet); its other IDs held. Empty: all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_ids: Vec<String>,
    /// The driver it was played through.
    #[serde(default)]
    pub driver: String,
}

/// The verdict of a whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunVerdict {
    /// Every requirement checked and passed (or declared unchecked, with a reason).
    Conformant,
    /// Nothing failed, but some requirements were not checked.
    Incomplete,
    /// A check failed, a step had no definition, or a declaration is stale.
    NotConformant,
}

impl RunVerdict {
    pub fn label(self) -> &'static str {
        match self {
            Self::Conformant => "CONFORMANT",
            Self::Incomplete => "INCOMPLETE",
            Self::NotConformant => "NOT CONFORMANT",
        }
    }
}

/// The process exit code for a verdict (documented in the README and the binary).
pub mod exit {
    pub const CONFORMANT: u8 = 0;
    pub const NOT_CONFORMANT: u8 = 1;
    pub const TARGET_UNUSABLE: u8 = 2;
    pub const INTERNAL: u8 = 3;
    pub const INCOMPLETE: u8 = 4;
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Summary {
    /// The suite's, the catalogue's and the report's shape's versions.
    pub versions: crate::versions::Versions,
    pub verdict: RunVerdict,
    /// The verdict as printed, e.g. `CONFORMANT (5 declared unchecked)`.
    pub verdict_text: String,
    pub exit_code: u8,
    /// Every unchecked requirement that is neither declared nor filtered out, with why.
    pub unchecked: Vec<UncheckedId>,
    /// Unchecked because the user's filter (`--tags`, `--name`) left them out.
    pub filtered_out: Vec<String>,
    /// Declared unchecked by the team (`[[unchecked]]`) and indeed unchecked.
    pub declared_unchecked: Vec<DeclaredUnchecked>,
    /// Declared unchecked but checked by this run (or not in the catalogue): they fail the run.
    pub stale_declarations: Vec<DeclaredUnchecked>,
    /// Rules no outside observer can check.
    pub not_checkable: Vec<String>,
    pub scenarios: Vec<ScenarioResult>,
    pub properties: Vec<PropertyResult>,
    pub requirements: Vec<RequirementResult>,
    /// Tags that look like requirement IDs but are not in the catalogue.
    pub unknown_ids: Vec<String>,
    pub parse_errors: Vec<String>,
    pub wall_time_secs: f64,
    /// Failed checks excused by a waiver, with its reason.
    pub waived: Vec<Waiver>,
    /// Waivers whose check passed or does not exist: they fail the run.
    pub stale_waivers: Vec<Waiver>,
    /// Why the run stopped before running every scenario, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_early: Option<String>,
    /// Every address and phone number the run used on the target, for clean-up.
    pub identities: Vec<crate::world::Identity>,
    /// With several instances (`base_urls`): the requests each was sent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<crate::driver::InstanceRequests>,
    /// Which share of the checks this run made (`--shard K/N`); `report merge` puts shards
    /// together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::runner::Shard>,
    /// What the browser run's accessibility checks looked at and found (AX-1, AX-3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accessibility: Option<super::Accessibility>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct UncheckedId {
    pub id: String,
    pub why: String,
}

/// One check's result over every driver that ran it: failed if any failed, passed if any
/// passed (and none failed), otherwise not run, with the reasons.
struct Check<'a> {
    status: Status,
    reasons: Vec<&'a str>,
}

fn combine<'a>(results: impl Iterator<Item = (Status, Option<&'a str>)>) -> Check<'a> {
    let mut check = Check { status: Status::Skipped, reasons: Vec::new() };
    for (status, detail) in results {
        match status {
            Status::Failed => check.status = Status::Failed,
            Status::Passed if check.status != Status::Failed => check.status = Status::Passed,
            Status::Skipped => check.reasons.push(detail.unwrap_or("not run")),
            Status::Passed => {}
        }
    }
    check
}

fn requirement_result(
    r: &Requirement,
    scenarios: &[ScenarioResult],
    properties: &[PropertyResult],
    waivers: &Waivers,
) -> RequirementResult {
    // Checks by identity (a scenario's location, a property's name), over all drivers.
    let mut by_check: BTreeMap<String, Vec<(Status, Option<&str>)>> = BTreeMap::new();
    let mut names = Vec::new();
    for s in scenarios.iter().filter(|s| s.tags.contains(&r.id)) {
        let key = format!("{} — {}", s.location, s.scenario);
        if !by_check.contains_key(&key) {
            names.push(key.clone());
        }
        by_check.entry(key).or_default().push((s.status, s.detail.as_deref()));
    }
    let mut property_names = Vec::new();
    for p in properties.iter().filter(|p| p.ids.contains(&r.id)) {
        if !property_names.contains(&p.name) {
            property_names.push(p.name.clone());
        }
        // A failure blamed on other IDs leaves this one's rule holding wherever it was met.
        let blamed_elsewhere =
            p.status == Status::Failed && !p.failed_ids.is_empty() && !p.failed_ids.contains(&r.id);
        let (status, detail) =
            if blamed_elsewhere { (Status::Passed, None) } else { (p.status, p.detail.as_deref()) };
        by_check.entry(format!("property: {}", p.name)).or_default().push((status, detail));
    }
    let checks: Vec<Check> = by_check.into_values().map(|v| combine(v.into_iter())).collect();
    let not_run: Vec<&Check> = checks.iter().filter(|c| c.status == Status::Skipped).collect();
    let (verdict, why) = if checks.is_empty() {
        match &r.not_checkable_from_outside {
            Some(why) => (Verdict::NotCheckable, Some(why.clone())),
            None => (Verdict::Uncovered, Some("no check in the suite covers it".to_owned())),
        }
    } else if checks.iter().any(|c| c.status == Status::Failed) {
        (Verdict::Failed, None)
    } else if not_run.is_empty() {
        (Verdict::Passed, None)
    } else {
        let mut reasons: Vec<&str> = not_run
            .iter()
            .flat_map(|c| c.reasons.iter().map(|r| r.strip_prefix("not run: ").unwrap_or(r)))
            .collect();
        reasons.sort_unstable();
        reasons.dedup();
        (
            Verdict::NotRun,
            Some(format!("{} of {} checks not run: {}", not_run.len(), checks.len(), reasons.join("; "))),
        )
    };
    let filtered_out = verdict == Verdict::NotRun
        && not_run.iter().all(|c| c.reasons.iter().all(|reason| left_out_by_choice(reason)));
    RequirementResult {
        requirement: r.clone(),
        scenarios: names,
        properties: property_names,
        verdict,
        why,
        filtered_out,
        declared_unchecked: waivers.declared(&r.id).map(|d| d.reason.clone()),
    }
}

impl Summary {
    pub fn new(
        catalogue: &Catalogue,
        scenarios: Vec<ScenarioResult>,
        properties: Vec<PropertyResult>,
        parse_errors: Vec<String>,
        wall_time_secs: f64,
        waivers: &Waivers,
    ) -> Self {
        let requirements: Vec<RequirementResult> = catalogue
            .requirements
            .iter()
            .map(|r| requirement_result(r, &scenarios, &properties, waivers))
            .collect();
        let mut unknown_ids: Vec<String> = scenarios
            .iter()
            .flat_map(|s| s.tags.iter())
            .filter(|t| Catalogue::is_id(t) && catalogue.get(t).is_none())
            .cloned()
            .collect();
        unknown_ids.sort();
        unknown_ids.dedup();

        let mut summary = Self {
            versions: crate::versions::Versions::with_catalogue(catalogue.version),
            verdict: RunVerdict::NotConformant,
            verdict_text: String::new(),
            exit_code: exit::NOT_CONFORMANT,
            unchecked: Vec::new(),
            filtered_out: Vec::new(),
            declared_unchecked: Vec::new(),
            stale_declarations: Vec::new(),
            not_checkable: Vec::new(),
            scenarios,
            properties,
            requirements,
            unknown_ids,
            parse_errors,
            wall_time_secs,
            waived: Vec::new(),
            stale_waivers: Vec::new(),
            stopped_early: None,
            identities: Vec::new(),
            instances: Vec::new(),
            shard: None,
            accessibility: None,
        };
        summary.apply_waivers(&waivers.waivers);
        for r in &summary.requirements {
            let id = r.requirement.id.clone();
            match (r.verdict, &r.declared_unchecked) {
                (Verdict::NotCheckable, _) => summary.not_checkable.push(id),
                (_, Some(reason)) if r.unchecked() => {
                    summary.declared_unchecked.push(DeclaredUnchecked { id, reason: reason.clone() });
                }
                (_, Some(reason)) => {
                    summary.stale_declarations.push(DeclaredUnchecked { id, reason: reason.clone() });
                }
                _ if r.filtered_out => summary.filtered_out.push(id),
                _ if r.unchecked() => {
                    summary.unchecked.push(UncheckedId { id, why: r.why.clone().unwrap_or_default() })
                }
                _ => {}
            }
        }
        summary
            .stale_declarations
            .extend(waivers.unchecked.iter().filter(|d| catalogue.get(&d.id).is_none()).cloned());
        summary.decide();
        summary
    }

    /// Marks the run as stopped early (the not-run scenarios say so too).
    pub fn stopped_early(&mut self, why: String) {
        self.stopped_early = Some(why);
        self.decide();
    }

    /// Sorts waivers into those excusing a failure and stale ones.
    fn apply_waivers(&mut self, waivers: &[Waiver]) {
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

    /// What makes the run not conformant, one line each; empty when nothing does.
    pub fn problems(&self) -> Vec<String> {
        let mut problems: Vec<String> = self
            .unexcused_failures()
            .iter()
            .map(|s| format!("failed: {} — {}", s.location, s.scenario))
            .collect();
        problems.extend(
            self.properties
                .iter()
                .filter(|p| p.status == Status::Failed && !self.is_waived(&p.name, ""))
                .map(|p| format!("failed: property {}", p.name)),
        );
        problems.extend(
            self.scenarios
                .iter()
                .filter(|s| s.status == Status::Skipped && is_undefined(s))
                .map(|s| format!("undefined step: {} — {}", s.location, s.scenario)),
        );
        problems.extend(self.stale_waivers.iter().map(|w| format!("stale waiver: {}", w.check)));
        problems.extend(
            self.stale_declarations
                .iter()
                .map(|d| format!("stale [[unchecked]] {}: it was checked, or is not in the catalogue", d.id)),
        );
        problems.extend(self.parse_errors.iter().map(|e| format!("feature file error: {e}")));
        problems.extend(self.unknown_ids.iter().map(|id| format!("tag @{id} names no requirement")));
        let ran = self.scenarios.iter().any(|s| s.status != Status::Skipped)
            || self.properties.iter().any(|p| p.status != Status::Skipped);
        if !ran {
            problems.push("no check ran at all".to_owned());
        }
        problems
    }

    fn decide(&mut self) {
        let declared = self.declared_unchecked.len();
        let (verdict, code, text) = if !self.problems().is_empty() || self.stopped_early.is_some() {
            (RunVerdict::NotConformant, exit::NOT_CONFORMANT, "NOT CONFORMANT".to_owned())
        } else if !self.unchecked.is_empty() {
            let n = self.unchecked.len();
            (RunVerdict::Incomplete, exit::INCOMPLETE, format!("INCOMPLETE ({n} requirement IDs unchecked)"))
        } else if !self.filtered_out.is_empty() {
            let n = self.filtered_out.len();
            // The user's own filter: reported, never called conformant, but not an error.
            (
                RunVerdict::Incomplete,
                exit::CONFORMANT,
                format!("INCOMPLETE ({n} requirement IDs filtered out)"),
            )
        } else if declared > 0 {
            (RunVerdict::Conformant, exit::CONFORMANT, format!("CONFORMANT ({declared} declared unchecked)"))
        } else {
            (RunVerdict::Conformant, exit::CONFORMANT, "CONFORMANT".to_owned())
        };
        self.verdict = verdict;
        self.exit_code = code;
        self.verdict_text = text;
    }

    /// Conformant: nothing failed and every requirement was checked (or declared unchecked).
    pub fn conformant(&self) -> bool {
        self.verdict == RunVerdict::Conformant
    }

    pub fn count(&self, status: Status) -> usize {
        self.scenarios.iter().filter(|s| s.status == status).count()
    }

    pub fn count_ids(&self, verdict: Verdict) -> usize {
        self.requirements.iter().filter(|r| r.verdict == verdict).count()
    }

    /// The end-of-run text for a terminal: per requirement, what did not pass, then what was
    /// not checked and the verdict last, where a terminal shows it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "\nRequirements");
        for r in &self.requirements {
            let mark = match r.verdict {
                Verdict::Passed => "passed     ",
                Verdict::Failed => "FAILED     ",
                Verdict::NotRun => "unchecked  ",
                Verdict::Uncovered => "uncovered  ",
                Verdict::NotCheckable => "not checkable",
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
        let not_passed: Vec<&ScenarioResult> = self
            .scenarios
            .iter()
            .filter(|s| s.status == Status::Failed || (s.status == Status::Skipped && !is_filtered(s)))
            .collect();
        if !not_passed.is_empty() {
            let _ = writeln!(out, "\nNot passed");
            for s in not_passed {
                let _ = writeln!(
                    out,
                    "  {:?} {}{} — {}\n      {}",
                    s.status,
                    s.location,
                    driver_note(&s.driver),
                    s.scenario,
                    s.detail.as_deref().unwrap_or("")
                );
            }
        }
        if !self.properties.is_empty() {
            let _ = writeln!(out, "\nProperties");
            for p in &self.properties {
                let _ = writeln!(
                    out,
                    "  {:?} {}{} ({} cases; {})",
                    p.status,
                    p.name,
                    driver_note(&p.driver),
                    p.cases,
                    p.ids.join(", ")
                );
                if let Some(detail) = &p.detail {
                    let _ = writeln!(out, "      {detail}");
                }
            }
        }
        for w in &self.waived {
            let _ = writeln!(out, "  waived: {} — {}", w.check, w.reason);
        }
        if let Some(why) = &self.stopped_early {
            let _ = writeln!(out, "\nSTOPPED EARLY: {why}");
        }
        for problem in self.problems() {
            let _ = writeln!(out, "  {problem}");
        }
        if !self.unchecked.is_empty() {
            let _ = writeln!(
                out,
                "\nUnchecked requirement IDs (declare expected ones with [[unchecked]] in --waivers)"
            );
            for u in &self.unchecked {
                let _ = writeln!(out, "  {:<7} {}", u.id, u.why);
            }
        }
        if !self.filtered_out.is_empty() {
            let _ = writeln!(out, "\nFiltered out by --tags/--name: {}", self.filtered_out.join(", "));
        }
        if !self.declared_unchecked.is_empty() {
            let _ = writeln!(out, "\nDeclared unchecked");
            for d in &self.declared_unchecked {
                let _ = writeln!(out, "  {:<7} {}", d.id, d.reason);
            }
        }
        if !self.not_checkable.is_empty() {
            let _ = writeln!(out, "\nNot checkable from outside: {}", self.not_checkable.join(", "));
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
            "{} requirement IDs: {} checked and passed, {} failed, {} unchecked ({} declared, {} filtered out), {} not checkable from outside",
            self.requirements.len(),
            self.count_ids(Verdict::Passed),
            self.count_ids(Verdict::Failed),
            self.requirements.iter().filter(|r| r.unchecked()).count(),
            self.declared_unchecked.len(),
            self.filtered_out.len(),
            self.not_checkable.len(),
        );
        if !self.instances.is_empty() {
            let shares: Vec<String> =
                self.instances.iter().map(|i| format!("{} {}", i.base_url, i.requests)).collect();
            let _ = writeln!(
                out,
                "requests spread over {} instances: {}",
                self.instances.len(),
                shares.join(", ")
            );
            for idle in self.instances.iter().filter(|i| i.requests == 0) {
                let _ =
                    writeln!(out, "  {} was sent no request: nothing was checked across it", idle.base_url);
            }
        }
        if !self.identities.is_empty() {
            let _ = writeln!(
                out,
                "{} addresses and phone numbers used on the target (listed in summary.json and report.html for clean-up)",
                self.identities.len()
            );
        }
        let _ = writeln!(out, "verdict: {}", self.verdict_text);
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

    /// The requirement-level results as a JUnit test suite (one test case per ID: failed,
    /// skipped with why it went unchecked, or passed), for CI tools that read JUnit.
    pub fn junit_requirements(&self) -> String {
        let esc = |t: &str| {
            t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
        };
        let mut out = String::new();
        let failures = self.count_ids(Verdict::Failed);
        let skipped = self
            .requirements
            .iter()
            .filter(|r| r.verdict != Verdict::Passed && r.verdict != Verdict::Failed)
            .count();
        let _ = write!(
            out,
            "<testsuite name=\"requirements: {}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
            esc(&self.verdict_text),
            self.requirements.len()
        );
        for r in &self.requirements {
            let _ = write!(
                out,
                "<testcase classname=\"requirements\" name=\"{} {}\">",
                esc(&r.requirement.id),
                esc(&r.requirement.rule)
            );
            match r.verdict {
                Verdict::Passed => {}
                Verdict::Failed => {
                    let _ =
                        write!(out, "<failure message=\"a check of {} failed\"/>", esc(&r.requirement.id));
                }
                _ => {
                    let mut why = r.why.clone().unwrap_or_default();
                    if let Some(reason) = &r.declared_unchecked {
                        why = format!("declared unchecked: {reason}; {why}");
                    } else if r.filtered_out {
                        why = format!("filtered out; {why}");
                    }
                    let _ = write!(out, "<skipped message=\"unchecked: {}\"/>", esc(&why));
                }
            }
            out.push_str("</testcase>");
        }
        out.push_str("</testsuite>");
        out
    }
}

fn driver_note(driver: &str) -> String {
    if driver.is_empty() { String::new() } else { format!(" [{driver}]") }
}

fn is_filtered(s: &ScenarioResult) -> bool {
    s.detail.as_deref().is_some_and(left_out_by_choice)
}

fn is_undefined(s: &ScenarioResult) -> bool {
    s.detail.as_deref().is_some_and(|d| d.starts_with("no step definition"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(location: &str, tags: &[&str], status: Status, detail: Option<&str>) -> ScenarioResult {
        ScenarioResult {
            feature: "f".into(),
            scenario: format!("scenario at {location}"),
            location: location.into(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            status,
            detail: detail.map(str::to_owned),
            steps: Vec::new(),
            transcript: Vec::new(),
            driver: String::new(),
            example: None,
            screenshot: None,
        }
    }

    fn catalogue(ids: &[&str]) -> Catalogue {
        let text: String = ids
            .iter()
            .map(|id| {
                let group = id.split('-').next().unwrap();
                format!("[[requirement]]\nid = \"{id}\"\ngroup = \"{group}\"\nrule = \"r\"\nsource = \"s\"\n")
            })
            .collect();
        Catalogue::parse(&text).unwrap()
    }

    fn declare(ids: &[&str]) -> Waivers {
        Waivers {
            waivers: Vec::new(),
            unchecked: ids
                .iter()
                .map(|id| DeclaredUnchecked { id: (*id).into(), reason: "not built yet".into() })
                .collect(),
        }
    }

    const CLOCK: &str = "not run: needs clock control (the target has no clock hook)";

    #[test]
    fn verdicts_per_requirement() {
        let summary = Summary::new(
            &catalogue(&["OTP-1", "OTP-2", "OTP-3", "OTP-4"]),
            vec![
                scenario("f:1", &["OTP-1", "serial"], Status::Passed, None),
                scenario("f:2", &["OTP-2"], Status::Passed, None),
                scenario("f:3", &["OTP-2"], Status::Failed, Some("boom")),
                scenario("f:4", &["OTP-4"], Status::Passed, None),
                scenario("f:5", &["OTP-4"], Status::Skipped, Some(CLOCK)),
                scenario("f:6", &["OTP-9"], Status::Passed, None),
            ],
            vec![],
            vec![],
            1.0,
            &Waivers::default(),
        );
        let verdicts: Vec<Verdict> = summary.requirements.iter().map(|r| r.verdict).collect();
        // A requirement with one check not run is unchecked, even though the other passed.
        assert_eq!(verdicts, [Verdict::Passed, Verdict::Failed, Verdict::Uncovered, Verdict::NotRun]);
        assert_eq!(
            summary.requirements[3].why.as_deref(),
            Some("1 of 2 checks not run: needs clock control (the target has no clock hook)")
        );
        assert_eq!(summary.unknown_ids, ["OTP-9"]);
        assert_eq!(summary.verdict, RunVerdict::NotConformant);
        assert_eq!(summary.exit_code, exit::NOT_CONFORMANT);
    }

    #[test]
    fn unchecked_ids_make_the_run_incomplete_unless_declared() {
        let cat = catalogue(&["SU-1", "IV-1"]);
        let run = || vec![scenario("f:1", &["SU-1"], Status::Passed, None)];

        let incomplete = Summary::new(&cat, run(), vec![], vec![], 1.0, &Waivers::default());
        assert_eq!(incomplete.verdict, RunVerdict::Incomplete);
        assert_eq!(incomplete.exit_code, exit::INCOMPLETE);
        assert_eq!(incomplete.unchecked.len(), 1);
        assert_eq!(incomplete.unchecked[0].id, "IV-1");
        assert!(incomplete.render().contains("verdict: INCOMPLETE"), "{}", incomplete.render());

        let declared = Summary::new(&cat, run(), vec![], vec![], 1.0, &declare(&["IV-1"]));
        assert_eq!(declared.verdict, RunVerdict::Conformant);
        assert_eq!(declared.exit_code, exit::CONFORMANT);
        assert_eq!(declared.verdict_text, "CONFORMANT (1 declared unchecked)");
        assert!(declared.render().contains("IV-1"), "declared IDs are still listed");

        // One more unchecked ID, not declared: incomplete again.
        let cat = catalogue(&["SU-1", "IV-1", "IV-2"]);
        let more = Summary::new(&cat, run(), vec![], vec![], 1.0, &declare(&["IV-1"]));
        assert_eq!(more.exit_code, exit::INCOMPLETE);
        assert_eq!(more.unchecked.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), ["IV-2"]);
    }

    #[test]
    fn a_declared_id_that_was_checked_is_stale() {
        let cat = catalogue(&["SU-1"]);
        let run = vec![scenario("f:1", &["SU-1"], Status::Passed, None)];
        let summary = Summary::new(&cat, run, vec![], vec![], 1.0, &declare(&["SU-1", "XX-1"]));
        assert_eq!(summary.stale_declarations.len(), 2, "checked, and not in the catalogue");
        assert_eq!(summary.exit_code, exit::NOT_CONFORMANT);
    }

    #[test]
    fn filtered_runs_are_incomplete_but_exit_zero() {
        let cat = catalogue(&["SU-1", "OTP-1"]);
        let run = vec![
            scenario("f:1", &["SU-1"], Status::Passed, None),
            scenario("f:2", &["OTP-1"], Status::Skipped, Some(FILTERED_OUT)),
        ];
        let summary = Summary::new(&cat, run, vec![], vec![], 1.0, &Waivers::default());
        assert_eq!(summary.verdict, RunVerdict::Incomplete);
        assert_eq!(summary.exit_code, exit::CONFORMANT);
        assert_eq!(summary.filtered_out, ["OTP-1"]);
        assert!(summary.verdict_text.contains("filtered out"));

        // Filtering out everything checks nothing: that is no pass.
        let nothing = vec![scenario("f:1", &["SU-1"], Status::Skipped, Some(FILTERED_OUT))];
        let summary = Summary::new(&cat, nothing, vec![], vec![], 1.0, &Waivers::default());
        assert_eq!(summary.exit_code, exit::NOT_CONFORMANT);
    }

    #[test]
    fn drivers_combine_per_check() {
        let cat = catalogue(&["SU-1", "SU-2"]);
        let mut api = scenario("f:1", &["SU-1"], Status::Passed, None);
        api.driver = "api".into();
        let mut browser = scenario("f:1", &["SU-1"], Status::Skipped, Some("not run: x"));
        browser.driver = "browser".into();
        let mut api_fail = scenario("f:2", &["SU-2"], Status::Passed, None);
        api_fail.driver = "api".into();
        let mut browser_fail = scenario("f:2", &["SU-2"], Status::Failed, Some("boom"));
        browser_fail.driver = "browser".into();
        let summary = Summary::new(
            &cat,
            vec![api, browser, api_fail, browser_fail],
            vec![],
            vec![],
            1.0,
            &Waivers::default(),
        );
        assert_eq!(summary.requirements[0].verdict, Verdict::Passed, "one driver checked it, none failed it");
        assert_eq!(summary.requirements[1].verdict, Verdict::Failed);
    }

    #[test]
    fn waivers_excuse_failures_and_stale_ones_fail_the_run() {
        let cat = catalogue(&["OTP-1"]);
        let mut failing = scenario("f.feature:1", &["OTP-1"], Status::Failed, Some("boom"));
        failing.scenario = "codes expire".into();
        let mut passing = scenario("f.feature:9", &["OTP-1"], Status::Passed, None);
        passing.scenario = "codes work".into();
        let waivers = |checks: &[&str]| Waivers {
            waivers: checks.iter().map(|c| Waiver { check: (*c).into(), reason: "known".into() }).collect(),
            unchecked: Vec::new(),
        };

        let summary = Summary::new(
            &cat,
            vec![failing.clone(), passing.clone()],
            vec![],
            vec![],
            1.0,
            &Waivers::default(),
        );
        assert!(!summary.conformant());
        let summary = Summary::new(
            &cat,
            vec![failing.clone(), passing.clone()],
            vec![],
            vec![],
            1.0,
            &waivers(&["codes expire"]),
        );
        assert!(summary.conformant(), "the only failure is waived");

        let stale = Summary::new(
            &cat,
            vec![failing, passing],
            vec![],
            vec![],
            1.0,
            &waivers(&["f.feature:1", "codes work", "no such check"]),
        );
        assert_eq!(stale.stale_waivers.len(), 2);
        assert!(!stale.conformant(), "stale waivers fail the run");
    }

    #[test]
    fn requirements_junit_lists_every_id() {
        let cat = catalogue(&["SU-1", "IV-1"]);
        let summary = Summary::new(
            &cat,
            vec![scenario("f:1", &["SU-1"], Status::Passed, None)],
            vec![],
            vec![],
            1.0,
            &declare(&["IV-1"]),
        );
        let xml = summary.junit_requirements();
        assert!(xml.contains("name=\"SU-1 r\"></testcase>"), "{xml}");
        assert!(xml.contains("declared unchecked: not built yet"), "{xml}");
    }
}
