//! Every feature file against the in-process reference server and fakes.

use conformance::runner::{self, RunOptions};

#[tokio::main]
async fn main() {
    let summary = runner::run(RunOptions::default()).await.expect("the conformance run could not start");
    print!("{}", summary.render());
    assert!(summary.conformant(), "the reference server does not pass its own conformance suite");
}
