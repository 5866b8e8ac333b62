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

/// Sessions marked seen at once each keep their own time (on SQLite the marks share statements),
/// and marking a session deleted meanwhile does not bring it back.
#[tokio::test]
async fn sessions_marked_seen_at_once_keep_their_own_times() {
    let config = Config::for_tests();
    let store = open(&config).await;
    let start = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("a time");
    let ids: Vec<String> = (0..40).map(|i| format!("seen-{i}")).collect();
    for id in &ids {
        store.create_session(id, "{}", start).await.expect("a session is stored");
    }
    store.delete_session(&ids[0]).await.expect("a session is deleted");
    let at = |round: i64, i: usize| start + Duration::seconds(100 * round + i as i64);
    for round in 1..=3 {
        let marks = ids.iter().enumerate().map(|(i, id)| store.touch_session(id, at(round, i)));
        for marked in futures::future::join_all(marks).await {
            marked.expect("the store marks a session seen");
        }
        assert!(
            store.session(&ids[0]).await.expect("the store answers").is_none(),
            "a deleted session came back"
        );
        for (i, id) in ids.iter().enumerate().skip(1) {
            let session = store.session(id).await.expect("the store answers").expect("the session exists");
            assert_eq!(
                session.last_seen_at,
                at(round, i),
                "round {round}: session {id} on {:?}",
                store.backend()
            );
            assert_eq!(session.created_at, start);
        }
    }
}
