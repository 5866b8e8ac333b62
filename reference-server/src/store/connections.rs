//! The connections a store reads and writes through. On PostgreSQL, sqlx's pool. On SQLite,
//! connections kept behind locks: sqlx's pool tests each connection it gets back with a round
//! trip to the connection's SQLite thread, which costs as much as the query it follows.
//!
//! SQLite writes go through one connection: SQLite lets one connection write at a time, and
//! another that tries waits in SQLite's busy handler, which sleeps (1 ms, then longer) instead
//! of being woken. Queued on the lock, the writes of parallel requests follow each other at
//! once. Reads go through several (WAL: readers never wait for the writer).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection as _, Executor as _};
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};

use super::StoreResult;

#[derive(Clone, Debug)]
pub(super) enum Connections {
    Pool(AnyPool),
    Held(Arc<Held>),
}

/// SQLite connections, each opened on first use.
#[derive(Debug)]
pub(super) struct Held {
    url: String,
    pragmas: &'static str,
    slots: Box<[Arc<Mutex<Option<AnyConnection>>>]>,
    next: AtomicUsize,
}

/// A connection, for as long as it is held.
pub enum Connection {
    Pooled(PoolConnection<Any>),
    Held(OwnedMappedMutexGuard<Option<AnyConnection>, AnyConnection>),
}

impl Connections {
    pub(super) fn held(url: &str, pragmas: &'static str, count: usize) -> Self {
        let slots = (0..count.max(1)).map(|_| Arc::new(Mutex::new(None))).collect();
        Self::Held(Arc::new(Held { url: url.into(), pragmas, slots, next: AtomicUsize::new(0) }))
    }

    /// A free connection, or else the next one in turn once it is free.
    pub(super) async fn get(&self) -> StoreResult<Connection> {
        let held = match self {
            Self::Pool(pool) => return Ok(Connection::Pooled(pool.acquire().await?)),
            Self::Held(held) => held,
        };
        let start = held.next.fetch_add(1, Ordering::Relaxed);
        let slots = &held.slots;
        let free =
            (0..slots.len()).find_map(|i| slots[(start + i) % slots.len()].clone().try_lock_owned().ok());
        let mut slot = match free {
            Some(slot) => slot,
            None => slots[start % slots.len()].clone().lock_owned().await,
        };
        if slot.is_none() {
            let mut conn = AnyConnection::connect(&held.url).await?;
            conn.execute(held.pragmas).await?;
            *slot = Some(conn);
        }
        Ok(Connection::Held(OwnedMutexGuard::map(slot, |conn| conn.as_mut().expect("opened above"))))
    }
}

impl std::ops::Deref for Connection {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match self {
            Self::Pooled(conn) => conn,
            Self::Held(conn) => conn,
        }
    }
}

impl std::ops::DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Self::Pooled(conn) => conn,
            Self::Held(conn) => conn,
        }
    }
}
