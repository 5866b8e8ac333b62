//! Runs the feature files against a target, through one driver or several, and summarises
//! the result per requirement.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use cucumber::event::ScenarioFinished;
use cucumber::tag::Ext as _;
use cucumber::writer::{self, Ext as _};
use cucumber::{World as _, gherkin};
use futures::FutureExt as _;

use crate::driver::Outcome;
use crate::driver::chromedriver::ChromeDriver;
use crate::properties;
use crate::report::progress::Progress;
use crate::report::waivers::Waivers;
use crate::report::{
    FILTERED_OUT, OTHER_SHARD, PropertyResult, Recorder, STOPPED_EARLY, ScenarioResult, Status, Summary,
};
use crate::requirements::Catalogue;
use crate::target::{DriverKind, Target};
use crate::world::{self, Context, LoginWorld, TimeGuard};

/// The workspace root, where `features/` lives when run from a checkout.
pub fn workspace_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").to_owned()
}

/// Where reports go unless told: a checkout's `target/conformance`, or `conformance-report` in
/// the current folder for a binary installed elsewhere.
pub fn default_report_dir() -> PathBuf {
    let root = workspace_dir();
    if root.join("Cargo.toml").is_file() {
        root.join("target/conformance")
    } else {
        PathBuf::from("conformance-report")
    }
}

pub struct RunOptions {
    /// The implementation under test.
    pub target: Target,
    /// How the report names the target (default: its base URL).
    pub target_description: Option<String>,
    /// The drivers to run every feature through, one after the other (empty: the target's).
    /// The verdict is over all of them: a check passes when a driver ran it and none failed it.
    pub drivers: Vec<DriverKind>,
    pub features: PathBuf,
    pub requirements: PathBuf,
    /// A tag expression, e.g. `@OTP and not @serial`.
    pub tags: Option<String>,
    /// Only scenarios whose name matches.
    pub name: Option<regex::Regex>,
    pub concurrency: usize,
    pub fail_fast: bool,
    /// Stop when the first 3 finished scenarios fail at the same step.
    pub bail: bool,
    pub report_dir: PathBuf,
    /// Print every step as it runs.
    pub verbose: bool,
    /// Cases for each property test after the scenarios (0: none).
    pub property_cases: u32,
    /// Without a clock hook, let time-moving scenarios really wait.
    pub real_time: bool,
    /// Expected failures and expected gaps, with reasons.
    pub waivers: Waivers,
    /// The target file the target was read from, for the signed manifest (secrets removed).
    pub target_file: Option<PathBuf>,
    /// How the report is signed.
    pub signing: Signing,
    /// Called when the checks are over, before the reports are written and signed (a
    /// container target's log is closed then, so the signed copy is the one kept).
    pub before_reports: Option<Box<dyn FnOnce() + Send>>,
    /// Only this shard's share of the checks (`--shard K/N`).
    pub shard: Option<Shard>,
}

/// One of N shares of a run's checks, the same for every run of the same features: a check
/// belongs to the shard its location (or a property's name) hashes to. Each shard needs a
/// target of its own (see `report merge`): shards share no clock lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Shard {
    /// 1-based.
    pub index: u32,
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (index, count) = text.split_once('/').ok_or_else(|| format!("{text:?}: give K/N, e.g. 1/3"))?;
        let number =
            |s: &str| s.trim().parse::<u32>().map_err(|_| format!("{text:?}: K and N are whole numbers"));
        let shard = Self { index: number(index)?, count: number(count)? };
        if shard.count == 0 || shard.index == 0 || shard.index > shard.count {
            return Err(format!("{text:?}: K must be from 1 to N"));
        }
        Ok(shard)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether the check known by `key` (`file.feature:line`, or a property's name) is this
    /// shard's. FNV-1a: stable across builds and platforms, unlike the standard hasher.
    pub fn takes(&self, key: &str) -> bool {
        let hash = key
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        hash % u64::from(self.count) == u64::from(self.index - 1)
    }
}

/// The key a run's manifest is signed with (`crate::report::evidence`).
#[derive(Clone, Debug, Default)]
pub enum Signing {
    /// This machine's key, made on first use.
    #[default]
    ThisMachine,
    /// A PKCS#8 PEM Ed25519 key.
    Key(PathBuf),
}

impl RunOptions {
    /// Every feature of this checkout against `target`, with the usual defaults.
    pub fn new(target: Target) -> Self {
        Self {
            target,
            target_description: None,
            drivers: Vec::new(),
            requirements: crate::specification::features_dir().join("requirements.toml"),
            features: crate::specification::features_dir(),
            tags: None,
            name: None,
            concurrency: 8,
            fail_fast: false,
            bail: true,
            report_dir: default_report_dir(),
            verbose: false,
            property_cases: 16,
            real_time: false,
            waivers: Waivers::default(),
            target_file: None,
            signing: Signing::default(),
            before_reports: None,
            shard: None,
        }
    }
}

fn tags_of<'a>(
    feature: &'a gherkin::Feature,
    rule: Option<&'a gherkin::Rule>,
    scenario: &'a gherkin::Scenario,
) -> impl Iterator<Item = &'a String> + Clone {
    feature.tags.iter().chain(rule.into_iter().flat_map(|r| &r.tags)).chain(scenario.tags.iter())
}

fn has_tag(feature: &gherkin::Feature, scenario: &gherkin::Scenario, tag: &str) -> bool {
    feature.tags.iter().chain(&scenario.tags).any(|t| t.trim_start_matches('@') == tag)
}

/// Whether a scenario moves the target's clock (tagged `@serial`, on it or its feature).
fn moves_time(feature: &gherkin::Feature, scenario: &gherkin::Scenario) -> bool {
    has_tag(feature, scenario, "serial")
}

pub fn driver_name(driver: DriverKind) -> &'static str {
    match driver {
        DriverKind::Api => "api",
        DriverKind::Browser => "browser",
    }
}

/// What one driver's pass over the features found.
#[derive(Default)]
struct Pass {
    identities: Vec<crate::world::Identity>,
    /// Requests per instance, when the target has several.
    instances: Vec<crate::driver::InstanceRequests>,
    scenarios: Vec<ScenarioResult>,
    properties: Vec<PropertyResult>,
    parse_errors: Vec<String>,
    stopped_early: Option<String>,
    accessibility: Option<crate::report::Accessibility>,
}

static ONE_RUN_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs every selected scenario and property through each driver, then writes the reports
/// (`junit.xml`, `report.html`, `summary.json` and each driver's own) into the report directory.
pub async fn run(mut options: RunOptions) -> anyhow::Result<Summary> {
    // The steps read their target from one context per process (cucumber makes the worlds):
    // two runs at once in one process would mix their targets, so they take turns.
    let _one_run_at_a_time = ONE_RUN_AT_A_TIME.lock().await;
    #[allow(clippy::disallowed_methods)] // wall time of the run, for the report only
    let started = std::time::Instant::now();
    #[allow(clippy::disallowed_methods)] // the report says when the run happened; no rule reads it
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let catalogue = Catalogue::load(&options.requirements)?;
    std::fs::create_dir_all(&options.report_dir)
        .with_context(|| format!("cannot create the report directory {}", options.report_dir.display()))?;
    clear_earlier_reports(&options.report_dir)?;
    let drivers = drivers_of(&options);
    let (pass, junit_files) = run_drivers(&options, &drivers).await?;
    if let Some(before_reports) = options.before_reports.take() {
        before_reports();
    }
    let mut summary = summarise(&catalogue, pass, started.elapsed().as_secs_f64(), &options.waivers);
    summary.shard = options.shard;
    let info = crate::report::html::RunInfo {
        target: options.target_description.clone().unwrap_or_else(|| options.target.base_url.clone()),
        driver: drivers.iter().map(|d| driver_name(*d)).collect::<Vec<_>>().join(", "),
        policy: crate::report::html::RunInfo::policy_rows(
            &serde_json::to_value(options.target.policy)?,
            &serde_json::to_value(crate::model::ModelPolicy::default())?,
        ),
        started_at,
    };
    write_reports(&options.report_dir, &junit_files, &summary, &info)?;
    sign_reports(&options, &drivers, &summary, &info)?;
    Ok(summary)
}

/// `conformance report merge`: the shards' reports in `dirs` put together in `out` as one
/// run's (`report.html`, `junit.xml`, `cucumber.json`, `summary.json`, the failures'
/// screenshots) and signed like a run's reports.
pub fn merge_reports(
    dirs: &[PathBuf],
    out: &Path,
    requirements: &Path,
    signing: &Signing,
) -> anyhow::Result<Summary> {
    use crate::report::evidence;
    let catalogue = Catalogue::load(requirements)?;
    let (summary, manifest, dirs) = crate::report::merge::merge(dirs, &catalogue)?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    clear_earlier_reports(out)?;
    let (mut suites, mut features) = (String::new(), Vec::new());
    for dir in &dirs {
        copy_folder(&dir.join("failures"), &out.join("failures"))?;
        // Each shard's scenario suites; the merged requirement suite replaces theirs.
        let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap_or_default();
        for suite in junit.split("<testsuite ").skip(1) {
            let suite = suite.split("</testsuite>").next().unwrap_or_default();
            if !suite.starts_with("name=\"requirements: ") {
                suites.push_str(&format!("<testsuite {suite}</testsuite>"));
            }
        }
        let cucumber: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("cucumber.json")).unwrap_or_default())
                .unwrap_or(serde_json::Value::Array(Vec::new()));
        features.extend(cucumber.as_array().cloned().unwrap_or_default());
    }
    std::fs::write(out.join("cucumber.json"), serde_json::to_vec_pretty(&features)?)?;
    let info = crate::report::html::RunInfo {
        target: format!(
            "{} shards ({})",
            dirs.len(),
            dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
        ),
        driver: manifest.drivers.join(", "),
        policy: crate::report::html::RunInfo::policy_rows(
            &manifest.policy,
            &serde_json::to_value(crate::model::ModelPolicy::default())?,
        ),
        started_at: manifest.started_at.clone(),
    };
    write_reports(out, &[], &summary, &info)?;
    // `write_reports` wrote the requirement suite alone: put the scenarios back in front of it.
    std::fs::write(
        out.join("junit.xml"),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"conformance\">{suites}{}</testsuites>\n",
            summary.junit_requirements()
        ),
    )?;
    let signer = match signing {
        Signing::Key(file) => Some(evidence::Signer::from_file(file)?),
        Signing::ThisMachine => evidence::Signer::for_this_machine()
            .inspect_err(|error| {
                eprintln!("the merged report is not signed: {error:#} (pass --signing-key FILE)")
            })
            .ok(),
    };
    if let Some(signer) = signer {
        evidence::sign(out, manifest, &signer)?;
    }
    Ok(summary)
}

fn copy_folder(from: &Path, to: &Path) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(from) else { return Ok(()) };
    std::fs::create_dir_all(to)?;
    for entry in entries {
        let path = entry?.path();
        if let Some(name) = path.file_name() {
            std::fs::copy(&path, to.join(name)).with_context(|| format!("cannot copy {}", path.display()))?;
        }
    }
    Ok(())
}

/// Removes what an earlier run wrote into the report directory, so the signed manifest lists
/// this run's files only (anything else a user keeps there stays, and is listed as it is).
fn clear_earlier_reports(dir: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let ours = ["report.html", "summary.json", "junit.xml", "cucumber.json"].contains(&name.as_str())
            || name == crate::report::evidence::MANIFEST
            || name == crate::report::evidence::SIGNATURE
            || (name.starts_with("junit-") && name.ends_with(".xml"))
            || (name.starts_with("cucumber-") && name.ends_with(".json"));
        if ours {
            std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        } else if name == "failures" && path.is_dir() {
            std::fs::remove_dir_all(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    Ok(())
}

/// Writes the signed manifest of the reports just written (`crate::report::evidence`).
fn sign_reports(
    options: &RunOptions,
    drivers: &[DriverKind],
    summary: &Summary,
    info: &crate::report::html::RunInfo,
) -> anyhow::Result<()> {
    use crate::report::evidence;
    let signer = match &options.signing {
        Signing::Key(file) => evidence::Signer::from_file(file)?,
        Signing::ThisMachine => match evidence::Signer::for_this_machine() {
            Ok(signer) => signer,
            Err(error) => {
                eprintln!("the report is not signed: {error:#} (pass --signing-key FILE)");
                return Ok(());
            }
        },
    };
    #[allow(clippy::disallowed_methods)] // the manifest says when the run ended; no rule reads it
    let ended_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let target = match &options.target_file {
        Some(file) => evidence::target_without_secrets(
            &std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?,
        )?,
        None => serde_json::json!({ "in_process": info.target }),
    };
    let requirements = evidence::requirement_verdicts(summary);
    let manifest = evidence::Manifest {
        format: 1,
        versions: Some(summary.versions.clone()),
        suite: evidence::Suite::this(&workspace_dir()),
        specification: evidence::hash_specification(&options.features, &options.requirements)?,
        target,
        policy: serde_json::to_value(options.target.policy)?,
        capabilities: options.target.capabilities.clone(),
        waivers: serde_json::to_value(&options.waivers)?,
        drivers: drivers.iter().map(|d| driver_name(*d).to_owned()).collect(),
        browser: drivers
            .contains(&DriverKind::Browser)
            .then(crate::driver::chromedriver::browser_version)
            .flatten(),
        tags: options.tags.clone(),
        name: options.name.as_ref().map(|n| n.as_str().to_owned()),
        property_cases: options.property_cases,
        started_at: info.started_at.clone(),
        ended_at,
        verdict: summary.verdict_text.clone(),
        exit_code: summary.exit_code,
        requirements,
        files: Default::default(),
        public_key: String::new(),
    };
    evidence::sign(&options.report_dir, manifest, &signer)
}

/// The drivers asked for, else the target's own, each once.
fn drivers_of(options: &RunOptions) -> Vec<DriverKind> {
    let mut drivers = options.drivers.clone();
    if drivers.is_empty() {
        drivers.push(options.target.driver);
    }
    drivers.dedup();
    drivers
}

/// Every driver's pass, one after the other, merged; with each driver's JUnit file.
async fn run_drivers(
    options: &RunOptions,
    drivers: &[DriverKind],
) -> anyhow::Result<(Pass, Vec<(DriverKind, PathBuf)>)> {
    let mut all = Pass::default();
    let mut junit_files = Vec::new();
    for &driver in drivers {
        let suffix = if drivers.len() > 1 { format!("-{}", driver_name(driver)) } else { String::new() };
        let files = ReportFiles {
            junit: options.report_dir.join(format!("junit{suffix}.xml")),
            json: options.report_dir.join(format!("cucumber{suffix}.json")),
        };
        let target = Target { driver, ..options.target.clone() };
        let pass = run_driver(options, target, &files).await?;
        junit_files.push((driver, files.junit));
        all.identities.extend(pass.identities);
        for share in pass.instances {
            match all.instances.iter_mut().find(|s| s.base_url == share.base_url) {
                Some(known) => known.requests += share.requests,
                None => all.instances.push(share),
            }
        }
        all.scenarios.extend(pass.scenarios);
        all.properties.extend(pass.properties);
        all.parse_errors.extend(pass.parse_errors);
        all.accessibility = all.accessibility.or(pass.accessibility);
        if all.stopped_early.is_none() {
            all.stopped_early = pass.stopped_early;
        }
    }
    all.parse_errors.dedup();
    Ok((all, junit_files))
}

/// The verdict per requirement over what every driver found.
fn summarise(catalogue: &Catalogue, pass: Pass, elapsed_secs: f64, waivers: &Waivers) -> Summary {
    let mut summary =
        Summary::new(catalogue, pass.scenarios, pass.properties, pass.parse_errors, elapsed_secs, waivers);
    if let Some(why) = pass.stopped_early {
        summary.stopped_early(why);
    }
    summary.identities = pass.identities;
    summary.instances = pass.instances;
    summary.accessibility = pass.accessibility;
    summary
}

fn write_reports(
    dir: &Path,
    junit_files: &[(DriverKind, PathBuf)],
    summary: &Summary,
    info: &crate::report::html::RunInfo,
) -> anyhow::Result<()> {
    write_junit(&dir.join("junit.xml"), junit_files, summary)?;
    // Failed browser scenarios' screenshots go into the report itself, which stays one file.
    let accessibility = summary.accessibility.iter().flat_map(|a| a.findings.iter());
    let screenshots = summary
        .unexcused_failures()
        .into_iter()
        .filter_map(|s| s.screenshot.as_ref())
        .chain(accessibility.filter_map(|f| f.screenshot.as_ref()))
        .filter_map(|shot| std::fs::read(dir.join(shot)).ok().map(|png| (shot.clone(), png)))
        .collect();
    std::fs::write(dir.join("report.html"), crate::report::html::render(summary, info, &screenshots)?)?;
    std::fs::write(dir.join("summary.json"), serde_json::to_vec_pretty(summary)?)?;
    Ok(())
}

struct ReportFiles {
    junit: PathBuf,
    json: PathBuf,
}

/// `junit.xml`: every driver's scenario suites (named with the driver when there are
/// several) and one suite of requirement IDs carrying the verdict.
fn write_junit(path: &Path, drivers: &[(DriverKind, PathBuf)], summary: &Summary) -> anyhow::Result<()> {
    let mut suites = String::new();
    for (driver, file) in drivers {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
        // Keep what is inside <testsuites …>…</testsuites>.
        let inner = text
            .find("<testsuites")
            .and_then(|start| text[start..].find('>').map(|end| start + end + 1))
            .and_then(|start| text.rfind("</testsuites>").map(|end| &text[start..end]))
            .unwrap_or_default();
        if drivers.len() > 1 {
            suites.push_str(
                &inner
                    .replace("<testsuite name=\"", &format!("<testsuite name=\"[{}] ", driver_name(*driver))),
            );
        } else {
            suites.push_str(inner);
        }
    }
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"conformance\">{suites}{}</testsuites>\n",
        summary.junit_requirements()
    );
    std::fs::write(path, xml).with_context(|| format!("cannot write {}", path.display()))
}

/// Stops the run when the first scenarios all fail at the same step: the rest would repeat it.
#[derive(Default)]
struct Bail {
    first: Vec<Option<(String, String)>>,
    stop: Option<String>,
}

impl Bail {
    const AFTER: usize = 3;

    /// Records how a scenario ended: `None` when it passed, else the failing step definition's
    /// location and the error.
    fn finished(&mut self, failure: Option<(String, String)>) {
        if self.stop.is_some() || self.first.len() >= Self::AFTER {
            return;
        }
        self.first.push(failure);
        if self.first.len() < Self::AFTER {
            return;
        }
        let Some(Some((step, error))) = self.first.first().cloned() else { return };
        if self.first.iter().all(|f| f.as_ref().is_some_and(|(s, _)| *s == step)) {
            self.stop = Some(format!(
                "the first {} scenarios failed at the same step ({step}); the rest are not run. Fix this first \
                 (or run with --no-bail). The first failure: {error}",
                Self::AFTER
            ));
        }
    }
}

async fn run_driver(options: &RunOptions, target: Target, files: &ReportFiles) -> anyhow::Result<Pass> {
    let driver = target.driver;
    if driver == DriverKind::Browser {
        target.browser_can_spread()?;
    }
    let mut context = Context::new(target);
    context.real_time = options.real_time;
    if let Some(shard) = options.shard {
        context.for_shard(shard.index, shard.count);
    }
    // Owned here, on the stack: however this ends (error, panic, interrupted), dropping it
    // stops ChromeDriver and every browser it started.
    let chromedriver = match driver {
        DriverKind::Browser => Some(ChromeDriver::start().await?),
        DriverKind::Api => None,
    };
    context.browsers = chromedriver
        .as_ref()
        .map(|c| Arc::new(crate::driver::browsers::BrowserPool::new(c.endpoint.clone())));
    if driver == DriverKind::Browser && context.target.accessibility.enabled {
        let settings = context.target.accessibility.clone();
        context.audit = Some(Arc::new(crate::driver::accessibility::Audit::new(settings)));
    }
    let _landing = match (&context.target.oidc, driver) {
        (Some(oidc), DriverKind::Browser) => Some(crate::landing::Landing::start(oidc).await),
        _ => None,
    };
    // Browser scenarios spend most of their time waiting on a page load or a round trip to
    // the browser: three browsers per core keep the cores busy (measured: 4 per 2 cores left
    // a sixth of the CPU idle, 6 fill it; see README, "Performance").
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let concurrency = match driver {
        DriverKind::Browser => options.concurrency.clamp(1, 3 * cores),
        DriverKind::Api => options.concurrency.max(1),
    };
    let context = Arc::new(context);
    world::install(context.clone());
    preflight(&context).await?;

    let selection = Selection::new(options)?;
    let recorder = Recorder::default();
    let admission = Admission {
        load_asked: selection.asks_for("load"),
        selection: selection.clone(),
        has_clock: context.clock.is_some() || options.real_time,
        shard: options.shard,
        target: context.target.clone(),
        recorder: recorder.clone(),
        progress: Arc::new(Progress::new(driver_name(driver))),
    };
    let stopped_early = run_scenarios(options, driver, concurrency, admission, &recorder, files).await?;
    let mut properties = run_properties(&context, options.property_cases, &selection, options.shard).await?;
    world::uninstall();
    if let Some(browsers) = &context.browsers {
        browsers.close_all().await;
    }
    drop(chromedriver);
    let mut scenarios = recorder.results();
    for s in &mut scenarios {
        s.driver = driver_name(driver).to_owned();
    }
    let filtered = scenarios.iter().any(|s| s.detail.as_deref() == Some(FILTERED_OUT));
    let audited = match (&context.audit, driver) {
        (Some(audit), _) => Ok(audit.outcome()),
        (None, DriverKind::Api) => Err("not run: needs the browser driver (--driver browser)"),
        (None, DriverKind::Browser) => {
            Err("not run: turned off in the target file ([accessibility] enabled = false)")
        }
    };
    let (checks, accessibility) =
        crate::report::accessibility_checks(audited, filtered, &options.report_dir, driver_name(driver));
    properties.extend(checks);
    let identities = context.handed_out.lock().map(|list| list.clone()).unwrap_or_default();
    let instances = if context.spread.len() > 1 { context.spread.counts() } else { Vec::new() };
    Ok(Pass {
        identities,
        instances,
        scenarios,
        properties,
        parse_errors: recorder.parse_errors(),
        stopped_early,
        accessibility,
    })
}

/// Which scenarios run: those the user selected that the target can run. Each one left out
/// is recorded as not run, with the reason.
struct Admission {
    /// Whether the user's tag expression names `@load`: load checks run only when asked.
    load_asked: bool,
    selection: Selection,
    has_clock: bool,
    shard: Option<Shard>,
    target: Target,
    recorder: Recorder,
    progress: Arc<Progress>,
}

impl Admission {
    fn admits(
        &self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
    ) -> bool {
        match self.left_out(feature, rule, scenario) {
            Some(why) => {
                self.recorder.not_run(feature, scenario, &why);
                false
            }
            None => {
                self.progress.admitted();
                true
            }
        }
    }

    /// Why a scenario is not run, if it is not: the first reason that applies.
    fn left_out(
        &self,
        feature: &gherkin::Feature,
        rule: Option<&gherkin::Rule>,
        scenario: &gherkin::Scenario,
    ) -> Option<String> {
        let tagged = |tag| has_tag(feature, scenario, tag);
        let in_browser = self.target.driver == DriverKind::Browser;
        if !self.selection.selects(tags_of(feature, rule, scenario), &scenario.name) {
            return Some(FILTERED_OUT.to_owned());
        }
        if let Some(shard) = self.shard
            && !shard.takes(&crate::report::location(feature, scenario))
        {
            return Some(OTHER_SHARD.to_owned());
        }
        if moves_time(feature, scenario) && !self.has_clock {
            return Some("not run: needs clock control (the target has no clock hook)".to_owned());
        }
        if let Some(capability) = tags_of(feature, rule, scenario)
            .filter_map(|t| t.trim_start_matches('@').strip_prefix("needs_"))
            .find(|c| !self.target.offers(c))
        {
            return Some(format!("not run: capability not declared ({capability})"));
        }
        let why = if tagged("load") && !self.load_asked {
            "not run: a load check, run only when asked (--tags @load), so that a shared service is never loaded \
             by surprise"
        } else if tagged("timing") && in_browser {
            "not run: compares answer times, which page loads in a browser blur (the API driver runs it)"
        } else if tagged("keyboard") && !in_browser {
            "not run: uses the pages with the keyboard alone, which needs a browser (the browser driver runs it)"
        } else if tagged("parallel_requests") && in_browser {
            "not run: needs requests in parallel on one session, which the browser driver cannot make (the API \
             driver runs it)"
        } else if tagged("agency") && self.target.oidc.is_none() {
            "not run: the target file registers no agencies ([oidc])"
        } else {
            return None;
        };
        Some(why.to_owned())
    }
}

/// Runs the admitted scenarios, writing each driver's JUnit and JSON files as they finish.
/// Returns why the run stopped early, if it did.
async fn run_scenarios(
    options: &RunOptions,
    driver: DriverKind,
    concurrency: usize,
    admission: Admission,
    recorder: &Recorder,
    files: &ReportFiles,
) -> anyhow::Result<Option<String>> {
    let junit = std::fs::File::create(&files.junit)?;
    let json = std::fs::File::create(&files.json)?;
    let verbosity = if options.verbose { 2 } else { 0 };
    let progress = admission.progress.clone();
    let finished = progress.clone();
    let transcripts = recorder.clone();
    let report_dir = options.report_dir.clone();
    let bail = Arc::new(Mutex::new(Bail::default()));
    let (bail_before, bail_after) = (bail.clone(), bail.clone());
    let bailing = options.bail;
    let _quiet = QuietStops::install();
    let mut cucumber = LoginWorld::cucumber()
        .max_concurrent_scenarios(concurrency)
        .before(move |feature, _, scenario, world| {
            let lock = world.ctx.time_lock.clone();
            // Scenarios that move time, or measure it (`@alone`), run with no other.
            let exclusive = moves_time(feature, scenario) || has_tag(feature, scenario, "alone");
            let stop = bail_before.lock().expect("bail lock").stop.clone();
            async move {
                if let Some(why) = stop {
                    // Reported as not run (the recorder knows this message), never as failed.
                    std::panic::panic_any(format!("{STOPPED_EARLY}: {why}"));
                }
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
        .after(move |feature, _, scenario, finished_how, world| {
            let report_dir = report_dir.clone();
            let failed = matches!(finished_how, ScenarioFinished::StepFailed(..));
            let failure = match finished_how {
                ScenarioFinished::StepFailed(_, location, error) => Some(Some((
                    location
                        .map(|l| format!("{}:{}", l.path, l.line))
                        .unwrap_or_else(|| "an unknown step".into()),
                    error.to_string(),
                ))),
                ScenarioFinished::StepPassed | ScenarioFinished::StepSkipped => Some(None),
                ScenarioFinished::BeforeHookFailed(_) => None,
            };
            if bailing && let Some(failure) = failure {
                bail_after.lock().expect("bail lock").finished(failure);
            }
            if !matches!(finished_how, ScenarioFinished::BeforeHookFailed(_)) {
                finished.finished(failed);
            }
            let shot = Recorder::screenshot_name(driver_name(driver), feature, scenario);
            let transcripts = transcripts.clone();
            async move {
                if let Some(world) = world {
                    world.time_guard = None;
                    transcripts.attach_transcript(feature, scenario, world.redacted_transcript());
                    if failed
                        && let Some((png, source)) = world.driver.failure_evidence().await
                        && save_evidence(&report_dir, &shot, &png, &source)
                    {
                        transcripts.attach_screenshot(feature, scenario, shot);
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
            writer::Basic::raw(progress.above(std::io::stdout()), writer::Coloring::Auto, verbosity)
                .summarized()
                .tee::<LoginWorld, _>(writer::JUnit::for_tee(junit, 0))
                .tee::<LoginWorld, _>(writer::Json::for_tee(json))
                .tee::<LoginWorld, _>(recorder.clone().discard_arbitrary_writes().discard_stats_writes())
                .normalized(),
        )
        .with_cli(cucumber::cli::Opts::<_, _, _, cucumber::cli::Empty>::default())
        .filter_run(options.features.clone(), move |feature, rule, scenario| {
            admission.admits(feature, rule, scenario)
        })
        .await;

    progress.finish();
    let stopped_early = bail.lock().expect("bail lock").stop.clone();
    Ok(stopped_early)
}

/// The target cannot be used as it is configured (the command exits 2, not 3).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TargetUnusable(pub String);

/// Before any scenario: one sign-up up to the phone step, proving that the service's mail
/// and texts reach the fakes' inbox — otherwise every scenario would fail waiting for them.
/// A step the service refuses leaves delivery unproven, not disproven: the run goes on and
/// its scenarios say what is wrong.
async fn preflight(context: &Arc<Context>) -> anyhow::Result<()> {
    let person = context.new_person();
    let mut driver = context.new_driver()?;
    let result = async {
        let unusable = |what: String| anyhow::Error::new(TargetUnusable(format!("preflight: {what}")));
        let accepted = |outcome: Outcome, what: &str| match outcome {
            Outcome::Accepted { .. } => Ok(()),
            other => Err(anyhow::Error::new(Inconclusive(format!("{what} was not accepted: {other:?}")))),
        };
        accepted(driver.start_sign_up(&person.email).await?, "starting a sign-up")?;
        let wait = context.target.inbox.wait_secs;
        let mail = context.inbox.next_mail(&person.email, 0).await?.ok_or_else(|| {
            unusable(format!(
                "no email to {} reached the fakes' inbox ({}) within {wait} s. Point the service's SMTP \
                 settings at the fakes (`conformance fakes` prints them)",
                person.email, context.target.inbox.url
            ))
        })?;
        let link = mail
            .links
            .first()
            .ok_or_else(|| unusable(format!("the email {:?} has no link", mail.subject)))?;
        accepted(driver.confirm_email(link).await?, "following the confirmation link")?;
        accepted(driver.choose_password(&person.password).await?, "choosing a password")?;
        accepted(driver.add_phone(&person.phone, crate::driver::Delivery::Sms).await?, "adding a phone")?;
        context.inbox.next_phone_message(&person.phone, 0).await?.ok_or_else(|| {
            unusable(format!(
                "no text to {} reached the fakes' inbox within {wait} s. Point the service's SMS provider \
                 at the fakes (`conformance fakes` prints the URL)",
                person.phone
            ))
        })?;
        anyhow::Ok(())
    }
    .await;
    driver.close().await;
    match result {
        Err(error) if error.downcast_ref::<Inconclusive>().is_some() => {
            eprintln!("preflight: delivery to the fakes not proven ({error}); the scenarios will show why");
            Ok(())
        }
        other => other,
    }
}

/// A preflight step the service did not accept.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Inconclusive(String);

/// The user's choice of checks: `--tags` and `--name`.
#[derive(Clone)]
struct Selection {
    tags: Option<gherkin::tagexpr::TagOperation>,
    /// The expression as given.
    tags_text: Option<String>,
    name: Option<regex::Regex>,
}

impl Selection {
    fn new(options: &RunOptions) -> anyhow::Result<Self> {
        let tags = options
            .tags
            .as_deref()
            .map(|t| {
                tight_not(t)
                    .parse::<gherkin::tagexpr::TagOperation>()
                    .map_err(|e| anyhow::anyhow!("tag expression {t:?}: {e}"))
            })
            .transpose()?;
        Ok(Self { tags, tags_text: options.tags.clone(), name: options.name.clone() })
    }

    /// Whether the tag expression names `@tag` and would select a scenario tagged only with
    /// it: `--tags @load` asks for load checks, `--tags "not @load"` does not.
    fn asks_for(&self, tag: &str) -> bool {
        let names = self.tags_text.as_deref().is_some_and(|t| t.contains(&format!("@{tag}")));
        names && self.tags.as_ref().is_some_and(|t| t.eval([tag].iter()))
    }

    fn selects<S: AsRef<str>>(&self, tags: impl Iterator<Item = S> + Clone, name: &str) -> bool {
        let tags = tags.map(|t| t.as_ref().trim_start_matches('@').to_owned()).collect::<Vec<_>>();
        self.tags.as_ref().is_none_or(|t| t.eval(tags.iter()))
            && self.name.as_ref().is_none_or(|n| n.is_match(name))
    }
}

/// The tag expression with every `not` bracketed with its operand, so that it binds tightest
/// as Cucumber's tag expressions have it: the parser underneath reads `not @a and not @b` as
/// `not (@a and not @b)`.
fn tight_not(expression: &str) -> String {
    // Tokens: parentheses (unless escaped) stand apart.
    let mut spaced = String::new();
    let mut escaped = false;
    for c in expression.chars() {
        if (c == '(' || c == ')') && !escaped {
            spaced.push_str(&format!(" {c} "));
        } else {
            spaced.push(c);
        }
        escaped = c == '\\' && !escaped;
    }
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    fn operand(tokens: &[&str], i: usize) -> (String, usize) {
        match tokens.get(i) {
            Some(&"not") => {
                let (inner, next) = operand(tokens, i + 1);
                (format!("(not {inner})"), next)
            }
            Some(&"(") => {
                let mut depth = 0;
                let mut end = i;
                for (j, token) in tokens.iter().enumerate().skip(i) {
                    match *token {
                        "(" => depth += 1,
                        ")" => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        end = j;
                        break;
                    }
                }
                if end == i {
                    // Unbalanced: left as it is, for the parser to refuse.
                    return (tokens[i..].join(" "), tokens.len());
                }
                (format!("({})", sequence(&tokens[i + 1..end])), end + 1)
            }
            Some(token) => ((*token).to_owned(), i + 1),
            None => (String::new(), i + 1),
        }
    }
    fn sequence(tokens: &[&str]) -> String {
        let mut out = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            if matches!(tokens[i], "and" | "or") {
                out.push(tokens[i].to_owned());
                i += 1;
            } else {
                let (op, next) = operand(tokens, i);
                out.push(op);
                i = next;
            }
        }
        out.join(" ")
    }
    sequence(&tokens)
}

/// Keeps the deliberate panics that mark scenarios as not run (stopped early) off the
/// terminal, and restores the usual panic output afterwards.
struct QuietStops;

type PanicHook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;
static PREVIOUS_HOOK: Mutex<Option<Arc<PanicHook>>> = Mutex::new(None);

impl QuietStops {
    fn install() -> Self {
        let previous: Arc<PanicHook> = Arc::new(std::panic::take_hook());
        *PREVIOUS_HOOK.lock().expect("hook lock") = Some(previous.clone());
        std::panic::set_hook(Box::new(move |info| {
            let message = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or_default();
            if !message.starts_with(STOPPED_EARLY) {
                previous(info);
            }
        }));
        Self
    }
}

impl Drop for QuietStops {
    fn drop(&mut self) {
        if let Some(previous) = PREVIOUS_HOOK.lock().expect("hook lock").take() {
            std::panic::set_hook(Box::new(move |info| previous(info)));
        }
    }
}

/// Keeps a failed browser scenario's screenshot and page source beside the reports.
/// Keeps a failed scenario's screenshot at `shot` (relative to `dir`) and the page's HTML
/// beside it; whether it was kept.
fn save_evidence(dir: &std::path::Path, shot: &str, png: &[u8], source: &str) -> bool {
    let path = dir.join(shot);
    let written = std::fs::create_dir_all(path.parent().unwrap_or(dir))
        .and_then(|()| std::fs::write(&path, png))
        .and_then(|()| std::fs::write(path.with_extension("html"), source));
    match written {
        Ok(()) => true,
        Err(error) => {
            eprintln!("cannot keep the failure evidence at {}: {error}", path.display());
            false
        }
    }
}

/// The property tests, after the scenarios (they move the clock, so nothing else runs): the
/// schedule property, then IV-1's attempt limit and IV-2's enrollment where the target offers
/// identity verification (and in person).
async fn run_properties(
    context: &Arc<Context>,
    cases: u32,
    selection: &Selection,
    shard: Option<Shard>,
) -> anyhow::Result<Vec<PropertyResult>> {
    if cases == 0 {
        return Ok(Vec::new());
    }
    let target = &context.target;
    // Only the IDs its schedules can check on this target (they use only what it offers).
    let schedule_ids = properties::Offered::by(target).checked_ids();
    let mut results = Vec::new();
    for (name, ids, needs) in [
        (properties::SCHEDULE_PROPERTY, schedule_ids, &[][..]),
        (properties::VERIFICATION_PROPERTY, vec!["IV-1"], &["identity_verification"][..]),
        (
            properties::IN_PERSON_PROPERTY,
            vec!["IV-2"],
            &["identity_verification", "in_person_verification"][..],
        ),
    ] {
        let ids: Vec<String> = ids.into_iter().map(str::to_owned).collect();
        let tags = ids.iter().map(String::as_str).chain(["property", "serial"]);
        let mut failed_ids = Vec::new();
        let (status, detail) = if !selection.selects(tags, name) {
            (Status::Skipped, Some(FILTERED_OUT.to_owned()))
        } else if shard.is_some_and(|s| !s.takes(name)) {
            (Status::Skipped, Some(OTHER_SHARD.to_owned()))
        } else if let Some(capability) = needs.iter().find(|c| !target.offers(c)) {
            (Status::Skipped, Some(format!("not run: capability not declared ({capability})")))
        } else if context.clock.is_none() {
            (Status::Skipped, Some("not run: needs clock control (the target has no clock hook)".to_owned()))
        } else if target.driver == DriverKind::Browser {
            // Hundreds of schedule steps through pages would take long and check the same rules
            // the API run checks; the scenarios are what a browser run adds.
            (
                Status::Skipped,
                Some("not run: property schedules are played through the JSON API (--driver api)".to_owned()),
            )
        } else {
            println!("property: {name} ({cases} cases)…");
            let (ctx, policy) = (context.clone(), target.policy);
            let outcome = match name {
                properties::VERIFICATION_PROPERTY => {
                    properties::check_verification(ctx, policy, cases).await?
                }
                properties::IN_PERSON_PROPERTY => properties::check_in_person(ctx, policy, cases).await?,
                _ => properties::check_schedules(ctx, policy, cases).await?,
            };
            match outcome {
                None => (Status::Passed, None),
                Some(report) => {
                    failed_ids.extend(
                        properties::blamed_id(&report)
                            .filter(|id| ids.iter().any(|i| i == id))
                            .map(str::to_owned),
                    );
                    (Status::Failed, Some(report))
                }
            }
        };
        results.push(PropertyResult {
            name: name.to_owned(),
            ids,
            cases,
            status,
            detail,
            failed_ids,
            driver: driver_name(target.driver).to_owned(),
        });
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::Bail;

    #[test]
    fn shards_split_every_check_exactly_once_and_the_same_way_each_time() {
        use super::Shard;
        for bad in ["0/3", "4/3", "1/0", "2", "a/b"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let shards: Vec<Shard> = (1..=3).map(|k| format!("{k}/3").parse().unwrap()).collect();
        assert_eq!(shards[1].to_string(), "2/3");
        let keys: Vec<String> = (1..400).map(|line| format!("codes.feature:{line}")).collect();
        let mut sizes = [0; 3];
        for key in &keys {
            let takers: Vec<usize> = (0..3).filter(|&i| shards[i].takes(key)).collect();
            assert_eq!(takers.len(), 1, "{key}: {takers:?}");
            sizes[takers[0]] += 1;
        }
        assert!(sizes.iter().all(|&n| n > 100), "roughly a third each: {sizes:?}");
        // A fixed hash (FNV-1a, worked out apart from this code): one key, one shard, in every build.
        assert!(Shard { index: 2, count: 3 }.takes("codes.feature:56"));
    }

    fn fail(step: &str) -> Option<(String, String)> {
        Some((step.into(), "boom".into()))
    }

    #[test]
    fn not_binds_tightest() {
        use super::tight_not;
        assert_eq!(tight_not("not @timing and not @load"), "(not @timing) and (not @load)");
        assert_eq!(tight_not("not @a or @b"), "(not @a) or @b");
        assert_eq!(tight_not("not (@a or @b) and @c"), "(not (@a or @b)) and @c");
        assert_eq!(tight_not("@a and not not @b"), "@a and (not (not @b))");
        assert_eq!(tight_not("@SU-1"), "@SU-1");
        assert_eq!(tight_not("@a\\(b and @c"), "@a\\(b and @c");
        let parsed: cucumber::gherkin::tagexpr::TagOperation =
            tight_not("not @timing and not @load").parse().unwrap();
        assert_eq!(format!("{parsed:?}"), r#"And(Not(Tag("timing")), Not(Tag("load")))"#);
    }

    #[test]
    fn only_an_expression_that_selects_load_checks_asks_for_them() {
        let asks = |tags: &str| {
            super::Selection::new(&super::RunOptions {
                tags: Some(tags.into()),
                ..super::RunOptions::new(
                    crate::target::Target::parse("base_url = \"http://x\"\n[inbox]\nurl = \"http://y\"")
                        .unwrap(),
                )
            })
            .unwrap()
            .asks_for("load")
        };
        assert!(asks("@load"));
        assert!(asks("@SU-1 or @load"));
        assert!(!asks("not @timing and not @load"));
        assert!(!asks("not @timing"));
        assert!(!asks("@SU-1"));
    }

    #[test]
    fn bails_only_when_the_first_three_fail_at_one_step() {
        let mut bail = Bail::default();
        for _ in 0..3 {
            bail.finished(fail("steps.rs:10"));
        }
        assert!(bail.stop.as_deref().is_some_and(|s| s.contains("steps.rs:10")));

        let mut mixed = Bail::default();
        for f in [fail("steps.rs:10"), fail("steps.rs:11"), fail("steps.rs:10"), fail("steps.rs:10")] {
            mixed.finished(f);
        }
        assert!(mixed.stop.is_none(), "different steps");

        let mut one_passed = Bail::default();
        for f in [fail("steps.rs:10"), None, fail("steps.rs:10"), fail("steps.rs:10")] {
            one_passed.finished(f);
        }
        assert!(one_passed.stop.is_none(), "a scenario passed");
    }
}
