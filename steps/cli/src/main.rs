//! `conformance`: the conformance suite's command line.
//!
//! Exit codes: 0 conformant (every requirement checked and passed, or declared unchecked; also
//! a `--tags`/`--name` run whose selected checks all passed, reported INCOMPLETE); 1 not
//! conformant (a check failed, a step has no definition, a waiver or declaration is stale);
//! 2 the target or configuration cannot be used; 3 internal error; 4 incomplete (nothing
//! failed, but requirement IDs went unchecked without being declared); 130 interrupted.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use conformance::report::{exit, waivers};
use conformance::runner::{self, RunOptions};
use conformance::target::{DriverKind, Target};
use conformance::{catalogue, check};
use conformance_cli::{container, in_process};

#[derive(Parser)]
#[command(
    name = "conformance",
    version,
    about = "Conformance suite for a sign-in service",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Run the scenarios and properties (the default).
    Run(RunArgs),
    /// Check a target file and reach every endpoint it names, explaining each problem.
    CheckTarget {
        /// The target file.
        file: PathBuf,
        /// Check for these drivers instead of the file's (`browser` walks the first pages in
        /// a real Chromium and reports each missing marker, field or button).
        #[arg(long, value_enum, value_delimiter = ',')]
        driver: Vec<DriverKind>,
    },
    /// Start the fake mail and SMS providers for your implementation to deliver to.
    Fakes(fakes::cli::Listen),
    /// Print the contract a service meets to be checked: pages, fields and buttons, outcomes
    /// and reason codes, the clock hook, capabilities.
    Contract,
    /// Walk sign-up on the target's service in a real browser, by itself, and write a starting
    /// `[browser]` section for its target file from what each page showed.
    Record {
        /// The target file (its base URL and inbox are used; its [browser] section is not).
        #[arg(long)]
        target: PathBuf,
        /// The path sign-up starts at.
        #[arg(long, default_value = "/sign-up")]
        start: String,
        /// Where to write the section (default: print it).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Show how the suite reads a security code out of a text or a call's words: every
    /// number in it, why each is or is not the code, and the reading (exit 1: no code read).
    ExplainCode {
        /// The message, as your service sends it.
        message: String,
        /// Read it with this target file's `code_pattern` (default: the suite's rule).
        #[arg(long)]
        target: Option<PathBuf>,
    },
    /// Check a report directory's signed manifest: the signature, and every file's hash
    /// (exit 0: nothing changed since signing; 1: something did, named).
    VerifyReport {
        dir: PathBuf,
        /// The signer's public key you trust (PEM, or the base64 a manifest shows); without
        /// it the signer is reported unknown.
        #[arg(long)]
        public_key: Option<PathBuf>,
    },
    /// Compare reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Run again what a signed report says was run — the same features (refused when the
    /// installed ones differ), target, drivers, filters and waivers — and compare the results
    /// (exit 0: reproduced).
    Rerun {
        /// The report directory to reproduce.
        dir: PathBuf,
        /// The target file (needed unless the run was in-process: the report keeps it without
        /// its secrets); it must match the report's.
        #[arg(long)]
        target: Option<PathBuf>,
        /// Where the new reports go (default: DIR-rerun).
        #[arg(long)]
        report_dir: Option<PathBuf>,
    },
    /// Print the public key reports are signed with, to hand to whoever checks them.
    PublicKey {
        /// The signing key (default: this machine's, made on first use).
        #[arg(long)]
        signing_key: Option<PathBuf>,
    },
    /// Write the specification as one static page for auditors: each rule with its source,
    /// the scenarios that check it in Gherkin, and (with --report) its latest result.
    Docs {
        /// Where to write `index.html`.
        #[arg(long)]
        out: PathBuf,
        /// A report directory whose results to show beside each rule.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Directory of feature files (default: the suite's own).
        #[arg(long)]
        features: Option<PathBuf>,
    },
    /// Print the JSON Schema of `summary.json` or of the target file (published in
    /// `schemas/`), and the versions reports name.
    Schema {
        /// Which file's schema.
        #[arg(value_enum)]
        of: SchemaOf,
    },
    /// List the requirement IDs with their rule and the checks that cover them.
    List {
        /// Directory of feature files (default: the suite's own).
        #[arg(long)]
        features: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SchemaOf {
    /// `summary.json`, the machine-readable report.
    Summary,
    /// The target file (TOML, as the JSON it maps to).
    Target,
}

#[derive(Subcommand)]
enum ReportCommand {
    /// List the requirement IDs and scenarios that became failing, passing, unchecked or
    /// waived between two runs, as Markdown (exit 1 when anything regressed).
    Diff {
        /// The earlier run's report directory (or its summary.json).
        old: PathBuf,
        /// The later run's report directory (or its summary.json).
        new: PathBuf,
    },
    /// Put the reports of a run's shards (`run --shard K/N`, one folder each) together as the
    /// one run's, with the verdict and exit code a single run would give. Each shard's report
    /// must be signed and intact, every shard there once, all of the same features; shards
    /// that moved one target's clock at the same time are refused.
    Merge {
        /// Where the merged reports go.
        #[arg(long)]
        out: PathBuf,
        /// The shards' report folders.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Directory of feature files, for the catalogue (default: the suite's own).
        #[arg(long)]
        features: Option<PathBuf>,
        /// Sign the merged report with this Ed25519 key (default: this machine's key).
        #[arg(long)]
        signing_key: Option<PathBuf>,
    },
}

#[derive(Args, Clone)]
struct RunArgs {
    /// Target file describing the implementation under test. Default: start the reference
    /// server and the fakes in this process.
    #[arg(long)]
    target: Option<PathBuf>,
    /// How scenarios act: through the JSON API or the web pages in a real browser; several
    /// (`api,browser`) run every feature through each and give one verdict.
    #[arg(long, value_enum, value_delimiter = ',')]
    driver: Vec<DriverKind>,
    /// Only scenarios matching this tag expression, e.g. "@SU and not @serial".
    #[arg(long)]
    tags: Option<String>,
    /// Only scenarios whose name matches this regular expression.
    #[arg(long)]
    name: Option<regex::Regex>,
    /// Scenarios run at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Stop at the first failing scenario.
    #[arg(long)]
    fail_fast: bool,
    /// Run every scenario even when the first 3 fail at the same step.
    #[arg(long)]
    no_bail: bool,
    /// Without a clock hook, let scenarios that move time really wait (hours, for some).
    #[arg(long)]
    real_time: bool,
    /// Where the reports go (default: target/conformance).
    #[arg(long)]
    report_dir: Option<PathBuf>,
    /// Expected failures (`[[waiver]]`) and expected unchecked IDs (`[[unchecked]]`), each with
    /// a reason (TOML, see the README).
    #[arg(long)]
    waivers: Option<PathBuf>,
    /// Directory of feature files (default: the suite's own).
    #[arg(long)]
    features: Option<PathBuf>,
    /// Cases per property test, after the scenarios (0: skip them).
    #[arg(long, default_value_t = 16)]
    property_cases: u32,
    /// Without --target: start this many instances of the reference server on one store,
    /// and spread each scenario's requests over them in turn (rules must hold across them).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    instances: u16,
    /// Run only shard K of N: a share of the scenarios and properties that is the same for
    /// every run of the same features. Give each shard a target of its own; `conformance
    /// report merge` puts the shards' reports together.
    #[arg(long, value_name = "K/N")]
    shard: Option<runner::Shard>,
    /// Print every step as it runs.
    #[arg(long, short)]
    verbose: bool,
    /// Sign the report's manifest with this Ed25519 key (PKCS#8 PEM; default: this machine's
    /// key, made on first use in ~/.config/conformance/).
    #[arg(long)]
    signing_key: Option<PathBuf>,
}

/// Why the command could not do its job.
enum Failure {
    /// Exit 2: the target or configuration cannot be used.
    Target(anyhow::Error),
    /// Exit 3: something broke inside the suite.
    Internal(anyhow::Error),
}

fn verify_report(dir: &std::path::Path, public_key: Option<&std::path::Path>) -> Result<u8, Failure> {
    use conformance::report::evidence;
    let trusted = public_key.map(evidence::read_public_key).transpose().map_err(Failure::Target)?;
    let verification = evidence::verify(dir, trusted.as_ref()).map_err(Failure::Target)?;
    print!("{}", verification.render());
    Ok(if verification.ok() { exit::CONFORMANT } else { exit::NOT_CONFORMANT })
}

fn report_diff(old: &std::path::Path, new: &std::path::Path) -> Result<u8, Failure> {
    use conformance::report::diff;
    let (was, now) =
        (diff::Run::load(old).map_err(Failure::Target)?, diff::Run::load(new).map_err(Failure::Target)?);
    let folder = if new.is_dir() { new.to_owned() } else { new.parent().unwrap_or(new).to_owned() };
    let found = diff::diff(&was, &now, &format!("{}/report.html", folder.display()));
    print!("{}", found.markdown);
    Ok(if found.regressions == 0 { exit::CONFORMANT } else { exit::NOT_CONFORMANT })
}

fn report_merge(
    shards: &[PathBuf],
    out: &std::path::Path,
    features: Option<PathBuf>,
    signing_key: Option<PathBuf>,
) -> Result<u8, Failure> {
    let requirements =
        features.unwrap_or_else(conformance::specification::features_dir).join("requirements.toml");
    let signing = signing_key.map_or(runner::Signing::ThisMachine, runner::Signing::Key);
    let summary = runner::merge_reports(shards, out, &requirements, &signing).map_err(Failure::Target)?;
    print!("{}", summary.render());
    println!("merged reports: {}", out.display());
    Ok(summary.exit_code)
}

fn public_key(signing_key: Option<&std::path::Path>) -> Result<u8, Failure> {
    use conformance::report::evidence::Signer;
    let signer = match signing_key {
        Some(file) => Signer::from_file(file),
        None => Signer::for_this_machine(),
    }
    .map_err(Failure::Target)?;
    print!("{}", signer.public_key_pem().map_err(Failure::Internal)?);
    Ok(exit::CONFORMANT)
}

fn explain_code(message: &str, target: Option<PathBuf>) -> Result<u8, Failure> {
    let reader = match target {
        Some(file) => Target::load(&file).and_then(|t| t.code_reader()).map_err(Failure::Target)?,
        None => conformance::code_reading::CodeReader::default(),
    };
    print!("{}", reader.explain(message));
    Ok(if reader.read(message).is_ok() { exit::CONFORMANT } else { exit::NOT_CONFORMANT })
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = async {
        match cli.command {
            None => run(cli.run).await,
            Some(Command::Run(args)) => run(args).await,
            Some(Command::CheckTarget { file, driver }) => {
                check_target(file, driver).await.map(|()| exit::CONFORMANT)
            }
            Some(Command::Fakes(args)) => fakes(args).await.map(|()| exit::CONFORMANT),
            Some(Command::List { features }) => list(features).map(|()| exit::CONFORMANT),
            Some(Command::Docs { out, report, features }) => docs(&out, report.as_deref(), features),
            Some(Command::Record { target, start, out }) => {
                record(target, start, out).await.map(|()| exit::CONFORMANT)
            }
            Some(Command::ExplainCode { message, target }) => explain_code(&message, target),
            Some(Command::VerifyReport { dir, public_key }) => verify_report(&dir, public_key.as_deref()),
            Some(Command::PublicKey { signing_key }) => public_key(signing_key.as_deref()),
            Some(Command::Report(ReportCommand::Diff { old, new })) => report_diff(&old, &new),
            Some(Command::Report(ReportCommand::Merge { out, shards, features, signing_key })) => {
                report_merge(&shards, &out, features, signing_key)
            }
            Some(Command::Rerun { dir, target, report_dir }) => rerun(&dir, target, report_dir).await,
            Some(Command::Contract) => {
                print!("{}", conformance::contract::render());
                Ok(exit::CONFORMANT)
            }
            Some(Command::Schema { of }) => {
                let schema = match of {
                    SchemaOf::Summary => conformance::versions::summary_schema(),
                    SchemaOf::Target => conformance::versions::target_schema(),
                };
                println!("{}", conformance::versions::pretty(&schema));
                Ok(exit::CONFORMANT)
            }
        }
    };
    // Ctrl-C drops the command's future: what it started (ChromeDriver and its browsers, the
    // in-process server) is stopped as it unwinds.
    let outcome = tokio::select! {
        outcome = command => outcome,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\ninterrupted: what the command started is stopped");
            return ExitCode::from(130);
        }
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(Failure::Target(error)) => {
            eprintln!("\nThe target cannot be used: {error:#}");
            ExitCode::from(exit::TARGET_UNUSABLE)
        }
        Err(Failure::Internal(error)) => {
            eprintln!("\nInternal error: {error:#}");
            ExitCode::from(exit::INTERNAL)
        }
    }
}

/// Loads the target file and checks it for each of `drivers` (none: the file's own).
/// Loads the target file, starts its container if it names one (with the fakes), and checks
/// the target; the container, if any, lives as long as the [`container::Started`] returned.
async fn load_and_check(
    file: &std::path::Path,
    drivers: &[DriverKind],
    container_log: &std::path::Path,
) -> Result<(Target, Option<container::Started>), Failure> {
    let target = Target::load(file).map_err(Failure::Target)?;
    let started = match &target.container {
        Some(settings) => {
            println!(
                "Starting the fakes and the image {} (its output: {}):",
                settings.image,
                container_log.display()
            );
            let folder = file.parent().unwrap_or(std::path::Path::new("."));
            let started = container::start(&target, folder, container_log).await.map_err(Failure::Target)?;
            println!(
                "  container {} is ready at {}",
                &started.id()[..12.min(started.id().len())],
                target.base_url
            );
            Some(started)
        }
        None => None,
    };
    let target = started.as_ref().map_or(target, |s| s.target.clone());
    let drivers = if drivers.is_empty() { vec![target.driver] } else { drivers.to_vec() };
    let mut problems = 0;
    for driver in drivers {
        println!("Checking the target in {} for the {} driver:", file.display(), runner::driver_name(driver));
        let findings = check::check_target(&Target { driver, ..target.clone() }).await;
        print!("{}", check::render(&findings));
        problems += findings.iter().filter(|f| !f.ok).count();
    }
    if problems > 0 {
        return Err(Failure::Target(anyhow::anyhow!("{problems} problem(s) above; fix them and run again")));
    }
    Ok((target, started))
}

async fn check_target(file: PathBuf, drivers: Vec<DriverKind>) -> Result<(), Failure> {
    let log = runner::default_report_dir().with_file_name("conformance-check-target").join("container.log");
    load_and_check(&file, &drivers, &log).await.map(|_| ())
}

async fn run(args: RunArgs) -> Result<u8, Failure> {
    let waivers = match &args.waivers {
        Some(file) => waivers::load(file).map_err(Failure::Target)?,
        None => waivers::Waivers::default(),
    };
    run_with(args, waivers).await
}

/// What a report's manifest says was run, checked against what is here, and run again.
async fn rerun(
    dir: &std::path::Path,
    target: Option<PathBuf>,
    report_dir: Option<PathBuf>,
) -> Result<u8, Failure> {
    use clap::ValueEnum as _;
    use conformance::report::{diff, evidence};
    let refused = |why: String| Failure::Target(anyhow::anyhow!(why));
    let verification = evidence::verify(dir, None).map_err(Failure::Target)?;
    if !verification.ok() {
        return Err(refused(format!(
            "the report was changed since it was signed:\n{}",
            verification.render()
        )));
    }
    let m = verification.manifest.expect("a verified manifest");
    let features = conformance::specification::features_dir();
    let here = evidence::hash_specification(&features, &features.join("requirements.toml"))
        .map_err(Failure::Internal)?;
    let differing: Vec<&String> = m
        .specification
        .keys()
        .chain(here.keys())
        .filter(|f| m.specification.get(*f) != here.get(*f))
        .collect();
    if !differing.is_empty() {
        return Err(refused(format!(
            "the installed suite's specification differs from the report's in {differing:?}: install the suite \
             at commit {} to reproduce it",
            m.suite.commit.as_deref().unwrap_or("(not recorded)")
        )));
    }
    match (&target, m.target.get("in_process")) {
        (None, Some(_)) => {}
        (None, None) => {
            return Err(refused("the report was made against a target file: pass it with --target".into()));
        }
        (Some(file), _) => {
            let text = std::fs::read_to_string(file).map_err(|e| Failure::Target(e.into()))?;
            let given = evidence::target_without_secrets(&text).map_err(Failure::Target)?;
            if given != m.target {
                return Err(refused(format!(
                    "{} is not the target file the report was made with",
                    file.display()
                )));
            }
        }
    }
    let drivers = m
        .drivers
        .iter()
        .map(|d| DriverKind::from_str(d, true).map_err(|e| refused(format!("driver {d:?}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let waivers = m.waivers().map_err(Failure::Target)?;
    let name = m.name.as_deref().map(regex::Regex::new).transpose().map_err(|e| Failure::Target(e.into()))?;
    let new_dir = report_dir.unwrap_or_else(|| PathBuf::from(format!("{}-rerun", dir.display())));
    let args = RunArgs {
        target,
        driver: drivers,
        tags: m.tags.clone(),
        name,
        concurrency: 8,
        fail_fast: false,
        no_bail: false,
        real_time: false,
        report_dir: Some(new_dir.clone()),
        waivers: None,
        features: None,
        property_cases: m.property_cases,
        instances: 1,
        shard: None,
        verbose: false,
        signing_key: None,
    };
    run_with(args, waivers).await?;
    let (was, now) = (
        diff::Run::load(dir).map_err(Failure::Internal)?,
        diff::Run::load(&new_dir).map_err(Failure::Internal)?,
    );
    let found = diff::diff(&was, &now, &format!("{}/report.html", new_dir.display()));
    print!("{}", found.markdown);
    let reproduced = found.changed_ids == 0 && was.verdict.split(' ').next() == now.verdict.split(' ').next();
    println!(
        "{}",
        if reproduced {
            "reproduced: the same verdict and the same result for every requirement ID"
        } else {
            "NOT reproduced"
        }
    );
    Ok(if reproduced { exit::CONFORMANT } else { exit::NOT_CONFORMANT })
}

async fn run_with(args: RunArgs, waivers: waivers::Waivers) -> Result<u8, Failure> {
    if args.target.is_some() && args.instances > 1 {
        return Err(Failure::Target(anyhow::anyhow!(
            "--instances starts the reference server in this process; with --target, list your service's \
             instances as base_urls in the target file"
        )));
    }
    let report_dir = args.report_dir.clone().unwrap_or_else(runner::default_report_dir);
    // A container is removed when `container` is dropped: at the end of this function, or
    // earlier if the command is interrupted.
    let (target, container) = match &args.target {
        Some(file) => {
            let (target, container) =
                load_and_check(file, &args.driver, &report_dir.join("container.log")).await?;
            (Some(target), container)
        }
        None => (None, None),
    };
    let configure = |options: &mut RunOptions| {
        options.drivers = args.driver;
        options.tags = args.tags;
        options.name = args.name;
        options.concurrency = args.concurrency;
        options.fail_fast = args.fail_fast;
        options.bail = !args.no_bail;
        options.real_time = args.real_time;
        options.verbose = args.verbose;
        options.property_cases = args.property_cases;
        options.shard = args.shard;
        options.waivers = waivers;
        options.report_dir = report_dir.clone();
        options.target_file = args.target.clone();
        if let Some(key) = args.signing_key {
            options.signing = runner::Signing::Key(key);
        }
        if let Some(dir) = args.features {
            options.requirements = dir.join("requirements.toml");
            options.features = dir;
        }
    };
    let summary = match target {
        Some(target) => {
            let mut options = RunOptions::new(target);
            configure(&mut options);
            if let Some(started) = &container {
                options.target_description = Some(format!(
                    "{} (the image {}, container {})",
                    options.target.base_url,
                    options.target.container.as_ref().map_or("", |c| c.image.as_str()),
                    &started.id()[..12.min(started.id().len())]
                ));
                options.before_reports = Some(Box::new(started.log_closer()));
            }
            runner::run(options).await
        }
        None => in_process::run(usize::from(args.instances), configure).await,
    };
    let summary = summary.map_err(|error| match error.downcast_ref::<runner::TargetUnusable>() {
        Some(_) => Failure::Target(error),
        None => Failure::Internal(error),
    })?;
    print!("{}", summary.render());
    println!("reports: {}", report_dir.display());
    Ok(summary.exit_code)
}

async fn fakes(args: fakes::cli::Listen) -> Result<(), Failure> {
    let started = fakes::Fakes::start(args.config())
        .await
        .map_err(|e| Failure::Target(e.context("cannot start the fakes (is a port taken?)")))?;
    let s = started.settings();
    println!("The fakes are running. Configure your implementation with:\n");
    println!("  SMTP host           {}", s.smtp_host);
    println!("  SMTP port           {}  (STARTTLS offered; AUTH PLAIN/LOGIN optional)", s.smtp_port);
    if let Some(port) = s.smtps_port {
        println!("  SMTPS port          {port}  (TLS from the first byte)");
    }
    println!("  TLS certificate     SHA-256 {}", s.smtp_tls_fingerprint);
    println!(
        "  SMS provider URL    {}  (Twilio REST shape: /2010-04-01/Accounts/{{sid}}/Messages.json and Calls.json)",
        s.sms_base_url
    );
    println!("  SMS account SID     {}", s.sms_account_sid);
    println!("  SMS auth token      {}", s.sms_auth_token);
    println!("\nand put this in your target file:\n\n  [inbox]\n  url = \"{}\"\n", s.inbox_url);
    println!("Mail, texts and calls are listed at {}/ . Press Ctrl-C to stop.", s.inbox_url);
    tokio::signal::ctrl_c().await.map_err(|e| Failure::Internal(e.into()))?;
    Ok(())
}

async fn record(target: PathBuf, start: String, out: Option<PathBuf>) -> Result<(), Failure> {
    let target = Target::load(&target).map_err(Failure::Target)?;
    let recording = conformance::record::record(&target, &start).await.map_err(Failure::Target)?;
    let text = recording.to_toml();
    match out {
        Some(file) => {
            std::fs::write(&file, &text).map_err(|e| Failure::Internal(e.into()))?;
            println!("{} pages recorded into {}", recording.pages.len(), file.display());
        }
        None => print!("{text}"),
    }
    match recording.stopped {
        Some(why) => Err(Failure::Target(anyhow::anyhow!("the walk stopped early: {why}"))),
        None => Ok(()),
    }
}

fn docs(
    out: &std::path::Path,
    report: Option<&std::path::Path>,
    features: Option<PathBuf>,
) -> Result<u8, Failure> {
    let dir = features.unwrap_or_else(conformance::specification::features_dir);
    let page = conformance::docs::render(&dir, report).map_err(Failure::Target)?;
    std::fs::create_dir_all(out).map_err(|e| Failure::Target(e.into()))?;
    let file = out.join("index.html");
    std::fs::write(&file, page).map_err(|e| Failure::Target(e.into()))?;
    println!("the specification: {}", file.display());
    Ok(exit::CONFORMANT)
}

fn list(features: Option<PathBuf>) -> Result<(), Failure> {
    let dir = features.unwrap_or_else(conformance::specification::features_dir);
    let entries = catalogue::coverage(&dir).map_err(Failure::Target)?;
    for entry in entries {
        println!(
            "{:<7} {}\n        source: {}",
            entry.requirement.id, entry.requirement.rule, entry.requirement.source
        );
        if entry.checks.is_empty() {
            println!("        UNCOVERED");
        }
        for check in entry.checks {
            println!("        - {check}");
        }
    }
    Ok(())
}
