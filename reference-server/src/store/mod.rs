//! Persistence through sqlx, on one of two backends chosen at start: SQLite (a file in the
//! data directory, the embedded default) or PostgreSQL (`database_url`, for several
//! instances). One set of statements serves both (`$N` placeholders, portable SQL); where
//! SQLite's single writer made a read-then-write safe, PostgreSQL takes a lock
//! ([`Store::one_at_a_time`]).

mod accounts;
mod agencies;
mod clock;
mod codes;
mod connections;
mod contacts;
mod email_links;
mod enrollments;
mod limits;
mod lockout;
mod misuse;
mod outbox;
mod profiles;
mod sessions;
mod touches;

use std::path::Path;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::MigrateDatabase as _;
use sqlx::{Any, AnyConnection, Connection as _};
use time::OffsetDateTime;

use connections::Connections;

pub use accounts::Account;
pub use agencies::{AccessToken, AuthorizationCode, Consent, NewCode};
pub use codes::{CodePurpose, CodeRow};
pub use connections::Connection;
pub use contacts::Contacts;
pub use email_links::{EmailLink, LinkPurpose};
pub use enrollments::{Enrollment, EnrollmentStatus, NewEnrollment};
pub use outbox::OutgoingMail;
pub use profiles::{Profile, Wrapped};
pub use sessions::StoredSession;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("too many concurrent changes to {0}")]
    Contended(&'static str),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Which database a store is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Store {
    /// Reads ([`Store::read`]).
    readers: Connections,
    /// Writes, and reads that decide a write ([`Store::write`]).
    writer: Connections,
    backend: Backend,
    contacts: Contacts,
    /// Off only in a test build's store that shows what the locks are for.
    locks: bool,
    /// Sessions waiting to be marked seen (SQLite).
    touches: std::sync::Arc<touches::Touches>,
}

/// Connections each instance reads through on SQLite (besides its one writer), and its pool's
/// size on PostgreSQL.
const POOL_SIZE: u32 = 8;

impl Store {
    /// Opens (creating if needed) the SQLite database file and brings its schema up to date.
    /// The folder is the owner's alone (0700) and the database file too (0600; SQLite gives
    /// its journal files the database file's permissions).
    pub async fn open(path: &Path, contacts: Contacts) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        private_files(path).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        let url = format!("sqlite://{}?mode=rwc", path.display());
        // Instances starting together on one database take turns, from the first connection
        // (which turns a new file to WAL, a change that needs the database alone) to the last
        // migration (sqlx's migrator takes no lock on SQLite, and both would apply the first).
        let turn = startup_turn(path).await.map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        // The wait for a busy database (another instance writing) is set first, so that it
        // covers the rest. With WAL, NORMAL keeps every committed transaction across a process
        // restart.
        const PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                               PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";
        let writer = Connections::held(&url, PRAGMAS, 1);
        sqlx::migrate!("./migrations/sqlite").run(&mut *writer.get().await?).await?;
        let readers = Connections::held(&url, PRAGMAS, POOL_SIZE as usize);
        let store = Self {
            readers,
            writer,
            backend: Backend::Sqlite,
            contacts,
            locks: true,
            touches: Default::default(),
        };
        store.seal_plaintext_contacts().await?;
        drop(turn);
        Ok(store)
    }

    /// Connects to a PostgreSQL database (`postgres://…`), creating the database if the server
    /// has none of that name, and brings its schema up to date. sqlx's migrator holds an
    /// advisory lock while it migrates, so instances starting together take turns.
    pub async fn connect(url: &str, contacts: Contacts) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        if !Any::database_exists(url).await? {
            // Another instance may create it first; then it exists, which is all that matters.
            if let Err(error) = Any::create_database(url).await
                && !Any::database_exists(url).await?
            {
                return Err(error.into());
            }
        }
        let pool = AnyPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let (readers, writer) = (Connections::Pool(pool.clone()), Connections::Pool(pool));
        Ok(Self {
            readers,
            writer,
            backend: Backend::Postgres,
            contacts,
            locks: true,
            touches: Default::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The store without its locks, as if PostgreSQL had SQLite's single writer (test builds
    /// only: the suite's teeth for the locks).
    #[cfg(feature = "fixtures")]
    pub fn without_locks(self) -> Self {
        Self { locks: false, ..self }
    }

    /// Runs `work` with no other [`Store::one_at_a_time`] under the same `key` running
    /// meanwhile, for decisions that read and then write (count, then record). On PostgreSQL
    /// it is one transaction holding an advisory lock on the key; on SQLite `work` holds the
    /// instance's one writing connection, and SQLite runs one statement at a time, so `work`'s
    /// conditional writes (which try again when another instance moved the state under them)
    /// are atomic as they stand.
    pub(crate) async fn one_at_a_time<T>(
        &self,
        key: &str,
        work: impl AsyncFnOnce(&mut AnyConnection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        match self.backend {
            Backend::Postgres if self.locks => {
                let mut conn = self.write().await?;
                let mut tx = conn.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
                let done = work(&mut tx).await?;
                tx.commit().await?;
                Ok(done)
            }
            _ => work(&mut *self.write().await?).await,
        }
    }

    /// Seals contact data written before it was sealed (migration 0008): addresses and numbers
    /// in accounts and emailed links become sealed values and digests; codes and sessions from
    /// then are dropped (a code is short-lived; a person signs in again).
    async fn seal_plaintext_contacts(&self) -> StoreResult<()> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin().await?;
        let accounts: Vec<(i64, String, Option<String>)> =
            sqlx::query_as("SELECT id, email, phone FROM accounts WHERE email_sealed IS NULL")
                .fetch_all(&mut *tx)
                .await?;
        for (id, email, phone) in accounts {
            sqlx::query("UPDATE accounts SET email = $1, email_sealed = $2, phone = NULL, phone_sealed = $3 WHERE id = $4")
                .bind(self.contacts.lookup(&email))
                .bind(self.contacts.seal(&email))
                .bind(phone.map(|p| self.contacts.seal(&p)))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let links: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, email FROM email_links WHERE email_sealed IS NULL")
                .fetch_all(&mut *tx)
                .await?;
        for (id, email) in links {
            sqlx::query("UPDATE email_links SET email = $1, email_sealed = $2 WHERE id = $3")
                .bind(self.contacts.lookup(&email))
                .bind(self.contacts.seal(&email))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        // Plain numbers begin with "+", plain session state with "{"; sealed values are base64.
        sqlx::query("DELETE FROM codes WHERE phone LIKE '+%'").execute(&mut *tx).await?;
        sqlx::query("DELETE FROM sessions WHERE state LIKE '{%'").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes what has expired long enough ago that nobody can be told anything about it
    /// any more: emailed links a week after they expired (until then a late click is told
    /// "expired", not "not valid"), codes a day after, limiter events older than `window`, and
    /// sessions idle for `idle` or older than `lifetime`. Returns how many rows went.
    pub async fn purge_expired(
        &self,
        now: OffsetDateTime,
        window: time::Duration,
        idle: time::Duration,
        lifetime: time::Duration,
    ) -> StoreResult<u64> {
        let at = |d: time::Duration| to_ms(now - d);
        let mut gone = 0;
        for (sql, before) in [
            ("DELETE FROM email_links WHERE expires_at < $1", at(time::Duration::days(7))),
            ("DELETE FROM codes WHERE expires_at < $1", at(time::Duration::days(1))),
            ("DELETE FROM limited_events WHERE at <= $1", at(window)),
            ("DELETE FROM sessions WHERE last_seen_at <= $1", at(idle)),
            ("DELETE FROM sessions WHERE created_at <= $1", at(lifetime)),
        ] {
            gone += sqlx::query(sql).bind(before).execute(&mut *self.write().await?).await?.rows_affected();
        }
        Ok(gone)
    }

    /// A connection to read through (also for tests' own queries).
    pub async fn read(&self) -> StoreResult<Connection> {
        self.readers.get().await
    }

    /// The connection to write through (on SQLite, the one; writers queue for it). Also where
    /// tests run statements of their own: it sees every write.
    pub async fn write(&self) -> StoreResult<Connection> {
        self.writer.get().await
    }
}

/// Makes `path`'s folder (0700) and an empty database file (0600) if they are missing, and
/// tightens them if they are looser.
fn private_files(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        std::fs::OpenOptions::new().write(true).create(true).truncate(false).mode(0o600).open(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    Ok(())
}

/// An exclusive lock on a file beside the database, held until dropped (the process's end
/// releases it too): one starting instance at a time.
async fn startup_turn(database: &Path) -> std::io::Result<std::fs::File> {
    let path = database.with_extension("startup.lock");
    tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(std::io::Error::other)?
}

/// Whether `error` is a uniqueness constraint refusing a write (another request took the value).
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// Stored times are Unix milliseconds.
pub(crate) fn to_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub(crate) fn from_ms(ms: i64) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|_| StoreError::Corrupt(format!("time {ms} out of range")))
}
