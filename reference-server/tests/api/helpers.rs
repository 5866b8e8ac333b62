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

/// Everything the server's store holds at rest, as an operator with the database would see
/// it: the SQLite file and its write-ahead log, or on PostgreSQL the text of every row of
/// every table.
pub async fn stored_bytes(server: &RunningServer) -> Vec<u8> {
    use reference_server::store::Backend;
    let store = &server.services.store;
    match store.backend() {
        Backend::Sqlite => {
            let path = server.services.config.database_path();
            let mut bytes = std::fs::read(&path).expect("the database file");
            bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
            bytes
        }
        Backend::Postgres => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_all(&mut *store.read().await.expect("a connection"))
            .await
            .expect("the tables");
            assert!(tables.iter().any(|t| t == "accounts"), "no tables found: {tables:?}");
            let mut bytes = Vec::new();
            for table in tables {
                let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT t::text FROM \"{table}\" t"))
                    .fetch_all(&mut *store.read().await.expect("a connection"))
                    .await
                    .expect("the rows");
                for row in rows {
                    bytes.extend(row.into_bytes());
                }
            }
            bytes
        }
    }
}
