//! The report an auditor reads: one self-contained HTML file (no outside assets), rendered
//! from `templates/report.html`. Verdict and a picture first, then the failures (the step,
//! what the check expected and what came back, the page's screenshot), the declared policy,
//! the traceability matrix, and every scenario with its steps and what crossed the wire
//! (secrets redacted).

use std::collections::BTreeMap;

use askama::Template;
use base64::Engine as _;

use super::{RunVerdict, ScenarioResult, Status, Summary, Verdict};
use crate::versions::Versions;

/// What the report says about the run besides its results.
pub struct RunInfo {
    pub target: String,
    pub driver: String,
    /// The declared policy: each value's name, the declared value and the documented one.
    pub policy: Vec<(String, String, String)>,
    pub started_at: String,
}

impl RunInfo {
    /// The rows of `declared` beside `documented` (both serialised policies).
    pub fn policy_rows(
        declared: &serde_json::Value,
        documented: &serde_json::Value,
    ) -> Vec<(String, String, String)> {
        let fields = declared.as_object().cloned().unwrap_or_default();
        fields
            .into_iter()
            .map(|(name, value)| {
                let documented = documented.get(&name).map(|v| v.to_string()).unwrap_or_default();
                (name, value.to_string(), documented)
            })
            .collect()
    }
}

/// The requirement IDs of each group at a glance: one bar each, passed / failed / unchecked
/// / not checkable, drawn as inline SVG, with the counts as text for readers that do not see it.
struct Picture {
    height: usize,
    bars: Vec<Bar>,
    legend: Vec<(&'static str, usize, &'static str)>,
}

struct Bar {
    group: String,
    y: usize,
    segments: Vec<Segment>,
    total: usize,
    total_x: f64,
}

struct Segment {
    x: f64,
    width: f64,
    colour: &'static str,
    count: usize,
    word: &'static str,
}

const COLOURS: [&str; 4] = ["#00a91c", "#b50909", "#c9a100", "#a9aeb1"];
const WORDS: [&str; 4] = ["passed", "failed", "unchecked", "not checkable"];

impl Picture {
    fn of(summary: &Summary) -> Self {
        let mut groups: Vec<(&str, [usize; 4])> = Vec::new();
        for r in &summary.requirements {
            let slot = match r.verdict {
                Verdict::Passed => 0,
                Verdict::Failed => 1,
                Verdict::NotRun | Verdict::Uncovered => 2,
                Verdict::NotCheckable => 3,
            };
            match groups.iter_mut().find(|(g, _)| *g == r.requirement.group) {
                Some((_, counts)) => counts[slot] += 1,
                None => {
                    let mut counts = [0; 4];
                    counts[slot] = 1;
                    groups.push((&r.requirement.group, counts));
                }
            }
        }
        let most = groups.iter().map(|(_, c)| c.iter().sum::<usize>()).max().unwrap_or(1).max(1);
        const ROW: usize = 22;
        let bars = groups
            .iter()
            .enumerate()
            .map(|(i, (group, counts))| {
                let mut x = 48.0;
                let segments = (0..4)
                    .filter(|slot| counts[*slot] > 0)
                    .map(|slot| {
                        let width = 540.0 * counts[slot] as f64 / most as f64;
                        let segment = Segment {
                            x,
                            width,
                            colour: COLOURS[slot],
                            count: counts[slot],
                            word: WORDS[slot],
                        };
                        x += width;
                        segment
                    })
                    .collect();
                Bar {
                    group: (*group).to_owned(),
                    y: i * ROW + 4,
                    segments,
                    total: counts.iter().sum(),
                    total_x: x + 4.0,
                }
            })
            .collect();
        let legend = (0..4)
            .map(|slot| (COLOURS[slot], groups.iter().map(|(_, c)| c[slot]).sum(), WORDS[slot]))
            .collect();
        Self { height: groups.len() * ROW + 8, bars, legend }
    }
}

/// A link to a scenario's entry below.
struct ScenarioLink {
    anchor: usize,
    /// Its name, with its example values for a row of an outline.
    name: String,
    /// ` [driver]` when the run had several drivers, else empty.
    driver: String,
}

struct Failure {
    scenario: ScenarioLink,
    location: String,
    /// The step that failed, when one did (a hook can fail too).
    step: Option<String>,
    message: String,
    /// The browser's screenshot, base64.
    screenshot: Option<String>,
}

struct MatrixRow {
    id: String,
    rule: String,
    source: String,
    /// Each scenario tagged with the ID, with its result's class.
    scenarios: Vec<(&'static str, ScenarioLink)>,
    properties: Vec<String>,
    class: &'static str,
    result: &'static str,
}

struct PropertyView {
    class: &'static str,
    status: &'static str,
    name: String,
    cases: u32,
    ids: String,
}

struct ScenarioView {
    anchor: usize,
    open: bool,
    class: &'static str,
    status: &'static str,
    name: String,
    driver: String,
    location: String,
    tags: String,
    steps: Vec<(&'static str, String)>,
    detail: Option<String>,
    transcript: String,
}

struct Counts {
    passed: usize,
    failed: usize,
    skipped: usize,
    covered: usize,
    ids: usize,
    ids_passed: usize,
    ids_failed: usize,
    ids_unchecked: usize,
    ids_uncovered: usize,
}

/// The accessibility section: what was checked, and per page what was found.
struct AccessibilityView {
    engine: String,
    tags: String,
    pages: usize,
    seconds: f64,
    axe_seconds: f64,
    reflow_seconds: f64,
    disabled: Vec<(String, String)>,
    excluded: String,
    unchecked: Vec<String>,
    /// Page identity and address, its findings, its screenshot (base64).
    by_page: Vec<(String, String, Vec<FindingView>, Option<String>)>,
}

struct FindingView {
    id: String,
    rule: String,
    impact: String,
    help: String,
    elements: String,
}

impl AccessibilityView {
    fn of(a: &super::Accessibility, screenshots: &BTreeMap<String, Vec<u8>>) -> Self {
        let mut by_page: Vec<(String, String, Vec<FindingView>, Option<String>)> = Vec::new();
        for f in &a.findings {
            let view = FindingView {
                id: f.id.clone(),
                rule: f.rule.clone(),
                impact: f.impact.clone(),
                help: f.help.clone(),
                elements: f.elements.join(", "),
            };
            match by_page.iter_mut().find(|(page, ..)| *page == f.page) {
                Some((.., findings, _)) => findings.push(view),
                None => {
                    let shot = embedded(f.screenshot.as_deref(), screenshots);
                    by_page.push((f.page.clone(), f.url.clone(), vec![view], shot));
                }
            }
        }
        Self {
            engine: a.engine.clone(),
            tags: a.tags.join(", "),
            pages: a.pages.len(),
            seconds: a.seconds,
            axe_seconds: a.axe_seconds,
            reflow_seconds: a.reflow_seconds,
            disabled: a.disabled.iter().map(|d| (d.rule.clone(), d.reason.clone())).collect(),
            excluded: a.excluded.join(", "),
            unchecked: a.unchecked.clone(),
            by_page,
        }
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    info: &'a RunInfo,
    versions: &'a Versions,
    verdict_class: &'static str,
    verdict_text: &'a str,
    stopped_early: Option<&'a str>,
    picture: Picture,
    unchecked: Vec<(&'a str, &'a str)>,
    filtered_out: &'a [String],
    declared_unchecked: Vec<(&'a str, &'a str)>,
    policy_differs: usize,
    counts: Counts,
    wall_time_secs: f64,
    failures: Vec<Failure>,
    failed_properties: Vec<(&'a str, &'a str)>,
    /// Stale waivers and declarations, one line each.
    stale: Vec<String>,
    waived: Vec<(&'a str, &'a str)>,
    matrix: Vec<MatrixRow>,
    properties: Vec<PropertyView>,
    features: Vec<(&'a str, Vec<ScenarioView>)>,
    identities: &'a [crate::world::Identity],
    instances: &'a [crate::driver::InstanceRequests],
    accessibility: Option<AccessibilityView>,
}

/// A scenario's name, with its example values for a row of an outline.
fn named(s: &ScenarioResult) -> String {
    match &s.example {
        Some(example) => format!("{} ({example})", s.scenario),
        None => s.scenario.clone(),
    }
}

fn status_class(status: Status) -> &'static str {
    match status {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
    }
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Passed => "Passed",
        Status::Failed => "Failed",
        Status::Skipped => "Skipped",
    }
}

fn verdict_cell(verdict: Verdict) -> (&'static str, &'static str) {
    match verdict {
        Verdict::Passed => ("passed", "passed"),
        Verdict::Failed => ("failed", "FAILED"),
        Verdict::NotRun => ("skipped", "unchecked"),
        Verdict::Uncovered => ("gap", "uncovered (gap)"),
        Verdict::NotCheckable => ("skipped", "not checkable from outside"),
    }
}

/// The screenshot kept at `path`, as base64 for a `data:` image (the report stays one file).
fn embedded(path: Option<&str>, screenshots: &BTreeMap<String, Vec<u8>>) -> Option<String> {
    path.and_then(|path| screenshots.get(path))
        .map(|png| base64::engine::general_purpose::STANDARD.encode(png))
}

/// The failed step of `s` and what its check said, apart (the recorder writes
/// `<step>: <message>`).
fn failure_parts(s: &ScenarioResult) -> (Option<String>, String) {
    let detail = s.detail.clone().unwrap_or_default();
    let step = s.steps.iter().find(|step| step.status == Status::Failed).map(|step| step.text.clone());
    let message = step
        .as_deref()
        .and_then(|step| detail.strip_prefix(step))
        .and_then(|rest| rest.strip_prefix(": "))
        .map(str::to_owned)
        .unwrap_or(detail);
    // cucumber's wrapping of a failed step's message says nothing the section does not.
    let message =
        message.strip_prefix("Step panicked. Captured output: ").map(str::to_owned).unwrap_or(message);
    (step, message)
}

/// Renders the report. `screenshots` holds the PNG of each failed browser scenario and of
/// each page with accessibility findings, by the path its result names.
pub fn render(
    summary: &Summary,
    info: &RunInfo,
    screenshots: &BTreeMap<String, Vec<u8>>,
) -> askama::Result<String> {
    let several_drivers = summary.scenarios.iter().any(|s| s.driver != summary.scenarios[0].driver);
    let anchors: BTreeMap<(&str, &str), usize> = summary
        .scenarios
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.driver.as_str(), s.location.as_str()), i))
        .collect();
    let link = |s: &ScenarioResult| ScenarioLink {
        anchor: anchors[&(s.driver.as_str(), s.location.as_str())],
        name: named(s),
        driver: if several_drivers { format!(" [{}]", s.driver) } else { String::new() },
    };
    let failures = summary
        .unexcused_failures()
        .into_iter()
        .map(|s| {
            let (step, message) = failure_parts(s);
            let screenshot = embedded(s.screenshot.as_deref(), screenshots);
            Failure { scenario: link(s), location: s.location.clone(), step, message, screenshot }
        })
        .collect();
    let stale = summary
        .stale_waivers
        .iter()
        .map(|w| format!("stale waiver: {} — {}", w.check, w.reason))
        .chain(summary.stale_declarations.iter().map(|d| {
            format!("stale [[unchecked]] {}: it was checked, or is not in the catalogue — {}", d.id, d.reason)
        }))
        .collect();
    let matrix = summary
        .requirements
        .iter()
        .map(|r| {
            let (class, result) = verdict_cell(r.verdict);
            MatrixRow {
                id: r.requirement.id.clone(),
                rule: r.requirement.rule.clone(),
                source: r.requirement.source.clone(),
                scenarios: summary
                    .scenarios
                    .iter()
                    .filter(|s| s.tags.contains(&r.requirement.id))
                    .map(|s| (status_class(s.status), link(s)))
                    .collect(),
                properties: r.properties.clone(),
                class,
                result,
            }
        })
        .collect();
    let mut features: BTreeMap<&str, Vec<ScenarioView>> = BTreeMap::new();
    for (i, s) in summary.scenarios.iter().enumerate() {
        features.entry(s.feature.as_str()).or_default().push(ScenarioView {
            anchor: i,
            open: s.status != Status::Passed,
            class: status_class(s.status),
            status: status_word(s.status),
            name: named(s),
            driver: s.driver.clone(),
            location: s.location.clone(),
            tags: s.tags.iter().map(|t| format!("@{t}")).collect::<Vec<_>>().join(" "),
            steps: s.steps.iter().map(|step| (status_class(step.status), step.text.clone())).collect(),
            detail: s.detail.clone(),
            transcript: s.transcript.join("\n\n"),
        });
    }
    let page = ReportPage {
        info,
        versions: &summary.versions,
        verdict_class: match summary.verdict {
            RunVerdict::Conformant => "ok",
            RunVerdict::Incomplete => "partial",
            RunVerdict::NotConformant => "bad",
        },
        verdict_text: &summary.verdict_text,
        stopped_early: summary.stopped_early.as_deref(),
        picture: Picture::of(summary),
        unchecked: summary.unchecked.iter().map(|u| (u.id.as_str(), u.why.as_str())).collect(),
        filtered_out: &summary.filtered_out,
        declared_unchecked: summary
            .declared_unchecked
            .iter()
            .map(|d| (d.id.as_str(), d.reason.as_str()))
            .collect(),
        policy_differs: info.policy.iter().filter(|(_, declared, documented)| declared != documented).count(),
        counts: Counts {
            passed: summary.count(Status::Passed),
            failed: summary.count(Status::Failed),
            skipped: summary.count(Status::Skipped),
            covered: summary.requirements.iter().filter(|r| r.verdict != Verdict::Uncovered).count(),
            ids: summary.requirements.len(),
            ids_passed: summary.count_ids(Verdict::Passed),
            ids_failed: summary.count_ids(Verdict::Failed),
            ids_unchecked: summary.count_ids(Verdict::NotRun),
            ids_uncovered: summary.count_ids(Verdict::Uncovered),
        },
        wall_time_secs: summary.wall_time_secs,
        failures,
        failed_properties: summary
            .properties
            .iter()
            .filter(|p| p.status == Status::Failed)
            .map(|p| (p.name.as_str(), p.detail.as_deref().unwrap_or("")))
            .collect(),
        stale,
        waived: summary.waived.iter().map(|w| (w.check.as_str(), w.reason.as_str())).collect(),
        matrix,
        properties: summary
            .properties
            .iter()
            .map(|p| PropertyView {
                class: status_class(p.status),
                status: status_word(p.status),
                name: p.name.clone(),
                cases: p.cases,
                ids: p.ids.join(", "),
            })
            .collect(),
        features: features.into_iter().collect(),
        identities: &summary.identities,
        instances: &summary.instances,
        accessibility: summary.accessibility.as_ref().map(|a| AccessibilityView::of(a, screenshots)),
    };
    page.render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::StepResult;

    fn summary() -> Summary {
        let catalogue = crate::requirements::Catalogue::parse(
            "version = 4\n[[requirement]]\nid = \"PW-1\"\ngroup = \"PW\"\nrule = \"Length <b>only</b>\"\nsource = \"s\"\n",
        )
        .unwrap();
        let failed = ScenarioResult {
            feature: "Passwords".into(),
            scenario: "Length is the only rule".into(),
            location: "passwords.feature:20".into(),
            tags: vec!["PW-1".into()],
            status: Status::Failed,
            detail: Some("When I choose it: expected refused, got <script>alert(1)</script>".into()),
            steps: vec![StepResult { text: "When I choose it".into(), status: Status::Failed }],
            transcript: vec!["POST /api/v1/password → 200 {\"a\":\"<b>\"}".into()],
            driver: "browser".into(),
            example: Some("password: zqvm3kw, verdict: refused".into()),
            screenshot: Some("failures/browser-passwords-feature-20.png".into()),
        };
        Summary::new(&catalogue, vec![failed], vec![], vec![], 2.0, &Default::default())
    }

    fn info() -> RunInfo {
        RunInfo {
            target: "http://x\"><script>".into(),
            driver: "browser".into(),
            policy: vec![
                ("code_lifetime_secs".into(), "600".into(), "300".into()),
                ("lockout_secs".into(), "300".into(), "300".into()),
            ],
            started_at: "2026-12-03T08:00:00Z".into(),
        }
    }

    #[test]
    fn everything_from_the_run_is_escaped() {
        let page = render(&summary(), &info(), &BTreeMap::new()).unwrap();
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
        assert!(page.contains("Length &#60;b&#62;only&#60;/b&#62;"));
        assert!(page.contains("http://x&#34;&#62;&#60;script&#62;"));
    }

    #[test]
    fn a_failure_shows_its_step_what_came_back_and_the_page() {
        let shots =
            BTreeMap::from([("failures/browser-passwords-feature-20.png".to_owned(), b"PNG!".to_vec())]);
        let page = render(&summary(), &info(), &shots).unwrap();
        let failures = &page[page.find("id=\"failures\"").unwrap()..page.find("id=\"policy\"").unwrap()];
        assert!(failures.contains("<dt>Step</dt><dd>When I choose it</dd>"), "{failures}");
        // The message without the step repeated in front of it.
        assert!(failures.contains("<dd>expected refused, got &#60;script&#62;"), "{failures}");
        assert!(failures.contains("src=\"data:image/png;base64,UE5HIQ==\""), "{failures}");
        // Outline rows are named by their example values.
        assert!(
            failures.contains("Length is the only rule (password: zqvm3kw, verdict: refused)"),
            "{failures}"
        );
        // Without the file, no image (and no broken one).
        let page = render(&summary(), &info(), &BTreeMap::new()).unwrap();
        assert!(!page.contains("data:image/png"));
    }

    #[test]
    fn the_policy_marks_what_differs_and_the_versions_are_named() {
        let page = render(&summary(), &info(), &BTreeMap::new()).unwrap();
        assert!(page.contains("<td>600 (differs)</td><td>300</td>"), "{page}");
        assert!(page.contains("1 value(s) other than the documented ones"));
        assert!(page.contains("catalogue version 4"), "{page}");
        assert!(page.contains(&format!("summary schema {}", crate::versions::SUMMARY_SCHEMA)));
        assert!(page.contains("<span class=\"verdict bad\">NOT CONFORMANT</span>"), "{page}");
    }
}
