//! A cucumber writer that records every scenario's result, with its tags.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cucumber::event::{Cucumber, Feature, Hook, Rule, Scenario, Step};
use cucumber::{Event, Writer, cli, gherkin, parser};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    /// A step had no definition, or the scenario was not run (reason given).
    Skipped,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ScenarioResult {
    pub feature: String,
    pub scenario: String,
    /// `path:line` of the scenario.
    pub location: String,
    /// Feature, rule and scenario tags, without `@`.
    pub tags: Vec<String>,
    pub status: Status,
    /// For failed and skipped scenarios: which step and why.
    pub detail: Option<String>,
    /// Every step, in order, with its result.
    pub steps: Vec<StepResult>,
    /// What crossed the wire, secrets redacted (requests, answers, emails, texts).
    pub transcript: Vec<String>,
    /// The driver that ran it (`api`, `browser`).
    pub driver: String,
    /// For a row of a scenario outline: its example values, `name: value` (outline rows
    /// otherwise share one name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// For a failed browser scenario: its screenshot, relative to the report directory (the
    /// page's HTML is beside it, ending `.html`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screenshot: Option<String>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct StepResult {
    pub text: String,
    pub status: Status,
}

#[derive(Default)]
struct State {
    running: HashMap<String, ScenarioResult>,
    finished: Vec<ScenarioResult>,
    parse_errors: Vec<String>,
    /// By scenario location; the `after` hook may run before the writer sees the scenario.
    transcripts: HashMap<String, Vec<String>>,
    /// Screenshots of failed scenarios, by scenario location.
    screenshots: HashMap<String, String>,
}

/// Cheap to clone; every clone records into the same results.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<State>>);

impl Recorder {
    pub fn results(&self) -> Vec<ScenarioResult> {
        let state = self.0.lock().expect("recorder lock");
        let mut results = state.finished.clone();
        for r in &mut results {
            if let Some(t) = state.transcripts.get(&r.location) {
                r.transcript = t.clone();
            }
            r.screenshot = state.screenshots.get(&r.location).cloned();
        }
        results.sort_by(|a, b| a.location.cmp(&b.location));
        results
    }

    /// Attaches a scenario's transcript (from the `after` hook, while the scenario is open).
    pub fn attach_transcript(
        &self,
        feature: &gherkin::Feature,
        scenario: &gherkin::Scenario,
        transcript: Vec<String>,
    ) {
        let key = location(feature, scenario);
        self.0.lock().expect("recorder lock").transcripts.insert(key, transcript);
    }

    /// Where a failed scenario's screenshot was kept: a name of its own, from where the
    /// scenario is (outline rows share a name, not a line).
    pub fn screenshot_name(driver: &str, feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> String {
        let place: String = location(feature, scenario)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
            .collect();
        format!("failures/{driver}-{place}.png")
    }

    /// Attaches the screenshot kept for a failed scenario (`screenshot_name`).
    pub fn attach_screenshot(&self, feature: &gherkin::Feature, scenario: &gherkin::Scenario, path: String) {
        let key = location(feature, scenario);
        self.0.lock().expect("recorder lock").screenshots.insert(key, path);
    }

    pub fn parse_errors(&self) -> Vec<String> {
        self.0.lock().expect("recorder lock").parse_errors.clone()
    }

    /// Records a scenario that was deliberately not run, with the reason.
    pub fn not_run(&self, feature: &gherkin::Feature, scenario: &gherkin::Scenario, reason: &str) {
        let mut result = started(feature, None, scenario);
        result.status = Status::Skipped;
        result.detail = Some(reason.to_owned());
        self.0.lock().expect("recorder lock").finished.push(result);
    }

    fn on_scenario<W>(
        &self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
        ev: Scenario<W>,
    ) {
        let key = location(feature, scenario);
        let mut state = self.0.lock().expect("recorder lock");
        match ev {
            Scenario::Started => {
                state.running.insert(key, started(feature, rule, scenario));
            }
            Scenario::Step(step, Step::Failed(_, _, _, error))
            | Scenario::Background(step, Step::Failed(_, _, _, error)) => {
                if let Some(r) = state.running.get_mut(&key) {
                    r.status = Status::Failed;
                    r.detail.get_or_insert_with(|| format!("{}{}: {error}", step.keyword, step.value));
                    r.steps.push(StepResult {
                        text: format!("{}{}", step.keyword, step.value),
                        status: Status::Failed,
                    });
                }
            }
            Scenario::Step(step, Step::Skipped) | Scenario::Background(step, Step::Skipped) => {
                if let Some(r) = state.running.get_mut(&key) {
                    r.steps.push(StepResult {
                        text: format!("{}{}", step.keyword, step.value),
                        status: Status::Skipped,
                    });
                    if r.status == Status::Passed {
                        r.status = Status::Skipped;
                        r.detail =
                            Some(format!("no step definition matches: {}{}", step.keyword, step.value));
                    }
                }
            }
            Scenario::Step(step, Step::Passed(..)) | Scenario::Background(step, Step::Passed(..)) => {
                if let Some(r) = state.running.get_mut(&key) {
                    r.steps.push(StepResult {
                        text: format!("{}{}", step.keyword, step.value),
                        status: Status::Passed,
                    });
                }
            }
            Scenario::Hook(kind, Hook::Failed(_, info)) => {
                if let Some(r) = state.running.get_mut(&key) {
                    let why = info
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| info.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    // The run stopped early: this scenario was not run, which is no failure of it.
                    if why.starts_with(super::STOPPED_EARLY) {
                        r.status = Status::Skipped;
                        r.detail = Some(why);
                    } else {
                        r.status = Status::Failed;
                        r.detail.get_or_insert_with(|| format!("{kind:?} hook failed: {why}"));
                    }
                }
            }
            Scenario::Finished => {
                if let Some(r) = state.running.remove(&key) {
                    state.finished.push(r);
                }
            }
            _ => {}
        }
    }
}

/// `file.feature:line`: how reports, and shards, know a scenario.
pub fn location(feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> String {
    let path = feature.path.as_ref().and_then(|p| p.file_name()).map(|p| p.to_string_lossy().into_owned());
    format!("{}:{}", path.unwrap_or_else(|| feature.name.clone()), scenario.position.line)
}

fn started(
    feature: &gherkin::Feature,
    rule: Option<&gherkin::Rule>,
    scenario: &gherkin::Scenario,
) -> ScenarioResult {
    let tags = feature.tags.iter().chain(rule.iter().flat_map(|r| r.tags.iter())).chain(scenario.tags.iter());
    ScenarioResult {
        feature: feature.name.clone(),
        scenario: scenario.name.clone(),
        location: location(feature, scenario),
        tags: tags.map(|t| t.trim_start_matches('@').to_owned()).collect(),
        status: Status::Passed,
        detail: None,
        steps: Vec::new(),
        transcript: Vec::new(),
        driver: String::new(),
        example: example_row(scenario),
        screenshot: None,
    }
}

/// The example values of an expanded outline row: cucumber places the row at its own line
/// (`position`), two lines below its `Examples:` keyword plus the row's index.
fn example_row(scenario: &gherkin::Scenario) -> Option<String> {
    scenario.examples.iter().find_map(|examples| {
        let rows = &examples.table.as_ref()?.rows;
        let index = scenario.position.line.checked_sub(examples.position.line + 2)?;
        let (header, values) = (rows.first()?, rows.get(index + 1)?);
        Some(header.iter().zip(values).map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", "))
    })
}

impl<W: 'static> Writer<W> for Recorder {
    type Cli = cli::Empty;

    async fn handle_event(&mut self, event: parser::Result<Event<Cucumber<W>>>, _: &Self::Cli) {
        match event.map(Event::into_inner) {
            Err(error) => self.0.lock().expect("recorder lock").parse_errors.push(error.to_string()),
            Ok(Cucumber::Feature(feature, Feature::Scenario(scenario, ev))) => {
                self.on_scenario(&feature, None, &scenario, ev.event);
            }
            Ok(Cucumber::Feature(feature, Feature::Rule(rule, Rule::Scenario(scenario, ev)))) => {
                self.on_scenario(&feature, Some(&rule), &scenario, ev.event);
            }
            Ok(_) => {}
        }
    }
}

impl cucumber::writer::NonTransforming for Recorder {}
