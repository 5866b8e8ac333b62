//! What every test here starts from: the fakes, and a server with its test configuration
//! pointed at them.

use fakes::{Fakes, FakesConfig};
use reference_server::{Config, RunningServer};

/// Starts the fakes (mail and SMS) on free ports.
pub async fn fakes() -> Fakes {
    Fakes::start(FakesConfig::ephemeral()).await.expect("the fakes start")
}

/// Starts the server with `config`, delivering to `fakes`.
pub async fn start(mut config: Config, fakes: &Fakes) -> RunningServer {
    config.use_fakes(&fakes.settings());
    reference_server::start(config).await.expect("the server starts")
}

/// The fakes and a server on the test configuration with `adjust` applied.
pub async fn spawn_app(adjust: impl FnOnce(&mut Config)) -> (RunningServer, Fakes) {
    let fakes = fakes().await;
    let mut config = Config::for_tests();
    adjust(&mut config);
    let server = start(config, &fakes).await;
    (server, fakes)
}
