//! What changed between two runs (`conformance report diff OLD NEW`): the requirement IDs and
//! scenarios that became failing, passing, unchecked or waived, as Markdown a pipeline can post
//! on a change and an auditor can read between releases. Read from each run's `summary.json`
//! as plain JSON, so reports of other suite versions can be compared too.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use serde_json::Value;

/// What one ID or scenario came to in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    Passed,
    Failed,
    /// Failed, but excused by a waiver with a reason.
    Waived,
    /// Not (fully) run, or no check covers it.
    Unchecked,
    NotCheckable,
    /// Not in that run at all (a new or removed ID or scenario).
    Absent,
}

impl State {
    fn word(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Waived => "waived",
            Self::Unchecked => "unchecked",
            Self::NotCheckable => "not checkable",
            Self::Absent => "absent",
        }
    }
}

/// One run, as the diff needs it.
pub struct Run {
    pub verdict: String,
    /// The catalogue version it was checked against (absent before reports named it).
    pub catalogue: Option<u64>,
    pub ids: BTreeMap<String, State>,
    /// `[driver] feature — scenario` → state.
    pub scenarios: BTreeMap<String, State>,
}

impl Run {
    /// Reads `summary.json` from a report directory (or the file itself).
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let file = if path.is_dir() { path.join("summary.json") } else { path.to_owned() };
        let text =
            std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
        let json: Value =
            serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
        Ok(Self::from_summary(&json))
    }

    pub fn from_summary(json: &Value) -> Self {
        let list = |key: &str| json[key].as_array().cloned().unwrap_or_default();
        let text = |v: &Value, key: &str| v[key].as_str().unwrap_or_default().to_owned();
        let waived: Vec<String> = list("waived").iter().map(|w| text(w, "check")).collect();
        let mut scenarios = BTreeMap::new();
        let mut waived_ids: Vec<String> = Vec::new();
        for s in list("scenarios") {
            let (name, location) = (text(&s, "scenario"), text(&s, "location"));
            let state = match text(&s, "status").as_str() {
                "Passed" | "passed" => State::Passed,
                "Failed" | "failed" if waived.iter().any(|w| *w == name || *w == location) => {
                    waived_ids.extend(
                        s["tags"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|t| t.as_str().map(str::to_owned)),
                    );
                    State::Waived
                }
                "Failed" | "failed" => State::Failed,
                _ => State::Unchecked,
            };
            let example = s["example"].as_str().map(|e| format!(" [{e}]")).unwrap_or_default();
            let key =
                format!("[{}] {} — {name}{example} ({location})", text(&s, "driver"), text(&s, "feature"));
            scenarios.insert(key, state);
        }
        let ids = list("requirements")
            .iter()
            .map(|r| {
                let id = text(r, "id");
                let state = match text(r, "verdict").as_str() {
                    "passed" if waived_ids.contains(&id) => State::Waived,
                    "passed" => State::Passed,
                    "failed" => State::Failed,
                    "not_checkable" => State::NotCheckable,
                    _ => State::Unchecked,
                };
                (id, state)
            })
            .collect();
        Self {
            verdict: text(json, "verdict_text"),
            catalogue: json["versions"]["catalogue"].as_u64(),
            ids,
            scenarios,
        }
    }
}

/// How a change reads, and whether it is a regression.
fn change(was: State, now: State) -> Option<(&'static str, bool)> {
    use State::*;
    Some(match (was, now) {
        (a, b) if a == b => return None,
        (_, Failed) => ("became failing", true),
        (Passed, Unchecked | Absent) => ("became unchecked", true),
        (_, Waived) => ("became waived", true),
        (_, Passed) => ("became passing", false),
        (_, Unchecked | NotCheckable | Absent) => ("became unchecked", false),
    })
}

/// The comparison, ready to print.
pub struct Diff {
    pub markdown: String,
    pub regressions: usize,
    /// The requirement IDs that became failing.
    pub became_failing: Vec<String>,
    /// Requirement IDs whose result changed at all.
    pub changed_ids: usize,
}

/// Compares `old` with `new`; `link` is where `new`'s `report.html` is, for links to IDs.
pub fn diff(old: &Run, new: &Run, link: &str) -> Diff {
    let mut out = String::new();
    let mut regressions = 0;
    let mut became_failing = Vec::new();
    let mut changed_ids = 0;
    let _ = writeln!(out, "# Conformance: what changed\n\nVerdict: {} → **{}**\n", old.verdict, new.verdict);
    if old.catalogue != new.catalogue {
        let version = |v: Option<u64>| v.map_or_else(|| "unnamed".to_owned(), |v| v.to_string());
        let _ = writeln!(
            out,
            "The requirement catalogue changed between the runs (version {} → {}): an ID may stand for a \
             reworded rule.\n",
            version(old.catalogue),
            version(new.catalogue)
        );
    }
    for (title, old_map, new_map, is_id) in
        [("Requirement IDs", &old.ids, &new.ids, true), ("Scenarios", &old.scenarios, &new.scenarios, false)]
    {
        let mut groups: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for key in old_map.keys().chain(new_map.keys()).collect::<std::collections::BTreeSet<_>>() {
            let was = old_map.get(key).copied().unwrap_or(State::Absent);
            let now = new_map.get(key).copied().unwrap_or(State::Absent);
            let Some((how, regressed)) = change(was, now) else { continue };
            regressions += usize::from(regressed);
            changed_ids += usize::from(is_id);
            if is_id && now == State::Failed {
                became_failing.push(key.clone());
            }
            let name = if is_id { format!("[{key}]({link}#{key})") } else { key.clone() };
            groups.entry(how).or_default().push(format!("- {name}: {} → {}", was.word(), now.word()));
        }
        let _ = writeln!(out, "## {title}\n");
        if groups.is_empty() {
            out.push_str("No change.\n\n");
        }
        for how in ["became failing", "became unchecked", "became waived", "became passing"] {
            if let Some(lines) = groups.get(how) {
                let _ = writeln!(out, "### {how} ({})\n\n{}\n", lines.len(), lines.join("\n"));
            }
        }
    }
    let _ = writeln!(out, "{regressions} regression(s).");
    Diff { markdown: out, regressions, became_failing, changed_ids }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn summary(verdicts: &[(&str, &str)], scenario_status: &str, waived: bool) -> Value {
        json!({
            "verdict_text": "V",
            "requirements": verdicts.iter().map(|(id, v)| json!({ "id": id, "verdict": v })).collect::<Vec<_>>(),
            "scenarios": [{ "driver": "api", "feature": "Codes", "scenario": "A code expires", "location": "codes.feature:3", "status": scenario_status, "tags": ["OTP-1"] }],
            "waived": if waived { json!([{ "check": "A code expires", "reason": "ticket 1" }]) } else { json!([]) },
        })
    }

    #[test]
    fn a_failing_id_is_a_regression_and_a_fixed_one_is_not() {
        let old = Run::from_summary(&summary(
            &[("OTP-1", "passed"), ("SU-1", "failed"), ("PV-4", "not_run")],
            "Passed",
            false,
        ));
        let new = Run::from_summary(&summary(
            &[("OTP-1", "failed"), ("SU-1", "passed"), ("PV-4", "not_run")],
            "Failed",
            false,
        ));
        let d = diff(&old, &new, "new/report.html");
        assert_eq!(d.regressions, 2, "{}", d.markdown);
        assert!(d.markdown.contains("- [OTP-1](new/report.html#OTP-1): passed → failed"), "{}", d.markdown);
        assert!(
            d.markdown.contains("### became passing (1)\n\n- [SU-1](new/report.html#SU-1): failed → passed")
        );
        assert!(!d.markdown.contains("PV-4"), "unchanged IDs are not listed");
        let same = diff(&old, &old, "x");
        assert_eq!(same.regressions, 0);
        assert!(same.markdown.contains("No change."));
        assert!(!same.markdown.contains("catalogue changed"));
    }

    #[test]
    fn a_changed_catalogue_is_said() {
        let mut old = summary(&[("OTP-1", "passed")], "Passed", false);
        old["versions"] = json!({ "catalogue": 1 });
        let mut new = old.clone();
        new["versions"]["catalogue"] = json!(2);
        let d = diff(&Run::from_summary(&old), &Run::from_summary(&new), "r.html");
        assert!(d.markdown.contains("catalogue changed between the runs (version 1 → 2)"), "{}", d.markdown);
        assert_eq!(d.regressions, 0);
    }

    #[test]
    fn a_waived_failure_and_a_vanished_check_are_named() {
        let old = Run::from_summary(&summary(&[("OTP-1", "passed"), ("SU-2", "passed")], "Passed", false));
        let new = Run::from_summary(&summary(&[("OTP-1", "passed")], "Failed", true));
        let d = diff(&old, &new, "r.html");
        assert!(d.markdown.contains("[OTP-1](r.html#OTP-1): passed → waived"), "{}", d.markdown);
        assert!(d.markdown.contains("[SU-2](r.html#SU-2): passed → absent"), "{}", d.markdown);
        assert_eq!(d.regressions, 3, "waived ID, waived scenario, vanished ID: {}", d.markdown);
    }
}
