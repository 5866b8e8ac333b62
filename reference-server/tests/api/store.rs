//! The store itself, on whichever backend the test configuration names (SQLite by default;
//! PostgreSQL under `TEST_POSTGRES_URL`, as `ci/postgres.sh` runs it).

use reference_server::Config;
use reference_server::store::{Contacts, Store};
use time::{Duration, OffsetDateTime};

/// The store a test configuration names.
pub async fn open(config: &Config) -> Store {
    let contacts = Contacts::new([7; 32], [8; 32]);
    match &config.database_url {
        Some(url) => Store::connect(secrecy::ExposeSecret::expose_secret(url), contacts).await,
        None => Store::open(&config.database_path(), contacts).await,
    }
    .expect("the store opens")
}

/// How many of `attempts` decisions made at once under one key a limit of `limit` admits.
pub async fn admitted_at_once(store: &Store, key: &str, attempts: usize, limit: usize) -> usize {
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("a time");
    let decide = |earlier: &[OffsetDateTime]| if earlier.len() < limit { Ok(()) } else { Err(()) };
    let all = (0..attempts).map(|_| {
        store.admit_event(
            key,
            now,
            Duration::minutes(15),
            u32::try_from(limit).expect("a small limit"),
            decide,
        )
    });
    let answers = futures::future::join_all(all).await;
    answers.into_iter().map(|a| a.expect("the store answers")).filter(Result::is_ok).count()
}

/// A limit decided at once by many requests admits exactly the limit, round after round: the
/// count and the record are one decision (SQLite's single writer; PostgreSQL's lock per key).
#[tokio::test]
async fn a_limit_holds_against_many_decisions_at_once() {
    // The configuration owns the temporary data directory: it lives as long as the store.
    let config = Config::for_tests();
    let store = open(&config).await;
    for round in 0..20 {
        let admitted = admitted_at_once(&store, &format!("race-{round}"), 64, 3).await;
        assert_eq!(
            admitted,
            3,
            "round {round} on {:?}: {admitted} of 64 admitted under a limit of 3",
            store.backend()
        );
    }
}
