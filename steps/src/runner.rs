//! Runs the feature files against a target and summarises the result per requirement.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use cucumber::tag::Ext as _;
use cucumber::writer::{self, Ext as _};
use cucumber::{World as _, gherkin};
use futures::FutureExt as _;

use crate::in_process::InProcess;
use crate::properties;
use crate::report::{PropertyResult, Recorder, Status, Summary};
use crate::requirements::Catalogue;
use crate::target::{DriverKind, Target};
use crate::world::{self, Context, LoginWorld, TimeGuard};

/// The workspace root, where `features/` lives when run from a checkout.
pub fn workspace_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_owned()
}

pub struct RunOptions {
    /// The implementation under test; `None` starts the reference server and fakes in-process.
    pub target: Option<Target>,
    pub driver: Option<DriverKind>,
    pub features: PathBuf,
    pub requirements: PathBuf,
    /// A tag expression, e.g. `@OTP and not @serial`.
    pub tags: Option<String>,
    /// Only scenarios whose name matches.
    pub name: Option<regex::Regex>,
    pub concurrency: usize,
    pub fail_fast: bool,
    pub report_dir: PathBuf,
    /// Print every step as it runs.
    pub verbose: bool,
    /// Cases for each property test after the scenarios (0: none).
    pub property_cases: u32,
    /// Without a clock hook, let time-moving scenarios really wait.
    pub real_time: bool,
    /// Expected failures, with reasons.
    pub waivers: Vec<crate::report::waivers::Waiver>,
}

impl Default for RunOptions {
    fn default() -> Self {
        let root = workspace_dir();
        Self {
            target: None,
            driver: None,
            features: root.join("features"),
            requirements: root.join("features/requirements.toml"),
            tags: None,
            name: None,
            concurrency: 8,
            fail_fast: false,
            report_dir: root.join("target/conformance"),
            verbose: false,
            property_cases: 16,
            real_time: false,
            waivers: Vec::new(),
        }
    }
}

fn has_tag(feature: &gherkin::Feature, scenario: &gherkin::Scenario, tag: &str) -> bool {
    feature.tags.iter().chain(&scenario.tags).any(|t| t.trim_start_matches('@') == tag)
}

/// Whether a scenario moves the target's clock (tagged `@serial`, on it or its feature).
fn moves_time(feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> bool {
    has_tag(feature, scenario, "serial")
}

pub async fn run(options: RunOptions) -> anyhow::Result<Summary> {
    #[allow(clippy::disallowed_methods)] // wall time of the run, for the report only
    let started = std::time::Instant::now();
    let catalogue = Catalogue::load(&options.requirements)?;
    #[allow(clippy::disallowed_methods)] // the report says when the run happened; no rule reads it
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut in_process = None;
    let mut target = match options.target {
        Some(target) => target,
        None => {
            let started = InProcess::start(reference_server::Policy::default()).await?;
            let target = started.target(DriverKind::Api);
            in_process = Some(started);
            target
        }
    };
    if let Some(driver) = options.driver {
        target.driver = driver;
    }
    let mut context = Context::new(target);
    context.real_time = options.real_time;
    context.start_browser().await?;
    let _landing = match (&context.target.oidc, context.target.driver) {
        (Some(oidc), DriverKind::Browser) => Some(crate::landing::Landing::start(oidc).await),
        _ => None,
    };
    // Each browser scenario runs a Chromium: two at a time keep a 2-core machine steady.
    let concurrency = match context.target.driver {
        DriverKind::Browser => options.concurrency.clamp(1, 2),
        DriverKind::Api => options.concurrency.max(1),
    };
    let context = Arc::new(context);
    world::install(context.clone());

    std::fs::create_dir_all(&options.report_dir)
        .with_context(|| format!("cannot create the report directory {}", options.report_dir.display()))?;
    let junit = std::fs::File::create(options.report_dir.join("junit.xml"))?;
    let json = std::fs::File::create(options.report_dir.join("cucumber.json"))?;

    let tags = options
        .tags
        .as_deref()
        .map(|t| {
            t.parse::<gherkin::tagexpr::TagOperation>()
                .map_err(|e| anyhow::anyhow!("tag expression {t:?}: {e}"))
        })
        .transpose()?;
    let name = options.name.clone();
    let has_clock = context.clock.is_some() || options.real_time;
    let has_agencies = context.target.oidc.is_some();
    let recorder = Recorder::default();
    let not_run = recorder.clone();
    let filter = move |feature: &gherkin::Feature,
                       rule: Option<&gherkin::Rule>,
                       scenario: &gherkin::Scenario| {
        let tagged = tags.as_ref().is_none_or(|t| {
            t.eval(feature.tags.iter().chain(rule.iter().flat_map(|r| &r.tags)).chain(scenario.tags.iter()))
        });
        let named = name.as_ref().is_none_or(|n| n.is_match(&scenario.name));
        if !(tagged && named) {
            return false;
        }
        if moves_time(feature, scenario) && !has_clock {
            not_run.not_run(feature, scenario, "not run: needs clock control (the target has no clock hook)");
            return false;
        }
        if has_tag(feature, scenario, "agency") && !has_agencies {
            not_run.not_run(feature, scenario, "not run: the target file registers no agencies ([oidc])");
            return false;
        }
        true
    };

    let verbosity = if options.verbose { 2 } else { 0 };
    let transcripts = recorder.clone();
    let evidence_dir = options.report_dir.join("failures");
    let mut cucumber = LoginWorld::cucumber()
        .max_concurrent_scenarios(concurrency)
        .before(|feature, _, scenario, world| {
            let lock = world.ctx.time_lock.clone();
            let exclusive = moves_time(feature, scenario);
            async move {
                world.time_guard = Some(if exclusive {
                    TimeGuard::Exclusive(lock.write_owned().await)
                } else {
                    TimeGuard::Shared(lock.read_owned().await)
                });
            }
            .boxed_local()
        })
        // Release the time lock as the scenario ends, passed or failed: a failed step's world
        // lives on in the report's events and must not keep other scenarios waiting.
        .after(move |feature, _, scenario, finished, world| {
            let evidence_dir = evidence_dir.clone();
            let failed = matches!(finished, cucumber::event::ScenarioFinished::StepFailed(..));
            let name = format!("{}-{}", feature.name, scenario.name);
            let transcripts = transcripts.clone();
            async move {
                if let Some(world) = world {
                    world.time_guard = None;
                    transcripts.attach_transcript(feature, scenario, world.redacted_transcript());
                    if failed && let Some((png, source)) = world.driver.failure_evidence().await {
                        save_evidence(&evidence_dir, &name, &png, &source);
                    }
                    world.driver.close().await;
                }
            }
            .boxed_local()
        });
    if options.fail_fast {
        cucumber = cucumber.fail_fast();
    }
    cucumber
        .with_writer(
            writer::Basic::raw(std::io::stdout(), writer::Coloring::Auto, verbosity)
                .summarized()
                .tee::<LoginWorld, _>(writer::JUnit::for_tee(junit, 0))
                .tee::<LoginWorld, _>(writer::Json::for_tee(json))
                .tee::<LoginWorld, _>(recorder.clone().discard_arbitrary_writes().discard_stats_writes())
                .normalized(),
        )
        .with_cli(cucumber::cli::Opts::<_, _, _, cucumber::cli::Empty>::default())
        .filter_run(options.features.clone(), filter)
        .await;

    let properties = run_properties(&context, options.property_cases).await?;
    let mut summary = Summary::new(
        &catalogue,
        recorder.results(),
        properties,
        recorder.parse_errors(),
        started.elapsed().as_secs_f64(),
    );
    summary.apply_waivers(&options.waivers);
    let info = crate::report::html::RunInfo {
        target: if in_process.is_some() {
            format!("the reference server, in-process ({})", context.target.base_url)
        } else {
            context.target.base_url.clone()
        },
        driver: format!("{:?}", context.target.driver),
        policy: format!("{:?}", context.target.policy),
        started_at,
    };
    std::fs::write(options.report_dir.join("report.html"), crate::report::html::render(&summary, &info))?;
    std::fs::write(options.report_dir.join("summary.json"), serde_json::to_vec_pretty(&summary)?)?;
    if let Some(in_process) = in_process {
        in_process.server.stop();
    }
    Ok(summary)
}

/// Keeps a failed browser scenario's screenshot and page source beside the reports.
fn save_evidence(dir: &std::path::Path, scenario: &str, png: &[u8], source: &str) {
    let name: String = scenario
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(dir.join(format!("{name}.png")), png))
        .and_then(|()| std::fs::write(dir.join(format!("{name}.html")), source));
    if let Err(error) = written {
        eprintln!("cannot keep the failure evidence of {scenario:?}: {error}");
    }
}

/// The property tests, after the scenarios (they move the clock, so nothing else runs).
async fn run_properties(context: &Arc<Context>, cases: u32) -> anyhow::Result<Vec<PropertyResult>> {
    if cases == 0 {
        return Ok(Vec::new());
    }
    let ids = properties::SCHEDULE_PROPERTY_IDS.iter().map(|s| (*s).to_owned()).collect();
    let (status, detail) = if context.clock.is_none() {
        (Status::Skipped, Some("not run: needs clock control (the target has no clock hook)".to_owned()))
    } else if context.target.driver == DriverKind::Browser {
        // Hundreds of schedule steps through pages would take long and check the same rules
        // the API run checks; the scenarios are what a browser run adds.
        (
            Status::Skipped,
            Some("not run: property schedules are played through the JSON API (--driver api)".to_owned()),
        )
    } else {
        println!("property: {} ({cases} cases)…", properties::SCHEDULE_PROPERTY);
        match properties::check_schedules(context.clone(), context.target.policy, cases).await? {
            None => (Status::Passed, None),
            Some(report) => (Status::Failed, Some(report)),
        }
    };
    Ok(vec![PropertyResult { name: properties::SCHEDULE_PROPERTY.to_owned(), ids, cases, status, detail }])
}
