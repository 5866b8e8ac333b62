//! `conformance`: run the suite against the reference server (default) or a target file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use conformance::runner::{self, RunOptions};
use conformance::target::{DriverKind, Target};

#[derive(Parser)]
#[command(version, about = "Conformance suite for a sign-in service")]
struct Args {
    /// Target file describing the implementation under test. Default: start the reference
    /// server and the fakes in this process.
    #[arg(long)]
    target: Option<PathBuf>,
    /// How scenarios act: through the JSON API or the web pages in a real browser.
    #[arg(long, value_enum)]
    driver: Option<DriverKind>,
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
    /// Where the reports go.
    #[arg(long)]
    report_dir: Option<PathBuf>,
    /// Directory of feature files (default: the suite's own).
    #[arg(long)]
    features: Option<PathBuf>,
    /// Print every step as it runs.
    #[arg(long, short)]
    verbose: bool,
    /// Cases per property test, run after the scenarios against the target's declared policy
    /// (0: skip them).
    #[arg(long, default_value_t = 16)]
    property_cases: u32,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> anyhow::Result<bool> {
    let mut options = RunOptions {
        target: args.target.as_deref().map(Target::load).transpose()?,
        driver: args.driver,
        tags: args.tags,
        name: args.name,
        concurrency: args.concurrency,
        fail_fast: args.fail_fast,
        verbose: args.verbose,
        property_cases: args.property_cases,
        ..RunOptions::default()
    };
    if let Some(dir) = args.report_dir {
        options.report_dir = dir;
    }
    if let Some(dir) = args.features {
        options.requirements = dir.join("requirements.toml");
        options.features = dir;
    }
    let report_dir = options.report_dir.clone();
    let summary = runner::run(options).await?;
    print!("{}", summary.render());
    println!("reports: {}", report_dir.display());
    Ok(summary.conformant())
}
