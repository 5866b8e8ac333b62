//! Marking sessions seen, in batches on SQLite. Every signed-in request that leaves its session
//! as it was still writes the time it was seen, and on SQLite each write waits its turn for the
//! one writing connection: under load, most of a turn is handing the statement to SQLite's
//! thread and the answer back. So the request that gets the turn writes every time waiting by
//! then in one statement, and each waiting request returns once its own time is written (as
//! before, nothing answers before its session is marked).

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::oneshot;

use super::{Store, StoreResult};

/// Most sessions one statement marks (two parameters each; SQLite allows 32,766).
const MOST_PER_STATEMENT: usize = 256;

#[derive(Debug, Default)]
pub(super) struct Touches {
    waiting: Mutex<Vec<Touch>>,
}

#[derive(Debug)]
struct Touch {
    id_digest: String,
    at: i64,
    /// Whether the statement that carried it succeeded.
    written: oneshot::Sender<bool>,
}

impl Touches {
    /// The touches waiting (a panic elsewhere while holding the list leaves it usable).
    fn waiting(&self) -> MutexGuard<'_, Vec<Touch>> {
        self.waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Store {
    /// Sets `last_seen_at` of the session `id_digest` to `at` (Unix ms), together with the
    /// other sessions waiting for the writing connection meanwhile.
    pub(super) async fn touch_in_batch(&self, id_digest: &str, at: i64) -> StoreResult<()> {
        let (written, mut done) = oneshot::channel();
        self.touches.waiting().push(Touch { id_digest: id_digest.into(), at, written });
        let written = tokio::select! {
            // Another request's statement carried it while this one waited for the turn.
            biased;
            written = &mut done => written,
            conn = self.write() => {
                let mut conn = conn?;
                let mut waiting = std::mem::take(&mut *self.touches.waiting());
                while !waiting.is_empty() {
                    let batch: Vec<Touch> = waiting.drain(..waiting.len().min(MOST_PER_STATEMENT)).collect();
                    let ok = write_batch(&mut conn, &batch).await.is_ok();
                    for touch in batch {
                        // A request that is gone no longer waits.
                        let _ = touch.written.send(ok);
                    }
                }
                drop(conn);
                // Written by now, by this request or by one that took the turn before it.
                done.await
            }
        };
        // A batch that failed, or whose request was dropped (its client went away) before it
        // could say: this touch is written alone, so its own error (if any) is the one its
        // request reports.
        match written {
            Ok(true) => Ok(()),
            Ok(false) | Err(_) => self.touch_alone(id_digest, at).await,
        }
    }
}

/// One statement for `batch`: each session gets the latest time any of its requests saw. The
/// statement has room for a power of two of sessions (the last one repeated to fill it), so
/// SQLite prepares a handful of statements, not one per batch size.
async fn write_batch(conn: &mut sqlx::AnyConnection, batch: &[Touch]) -> Result<(), sqlx::Error> {
    let mut latest: HashMap<&str, i64> = HashMap::new();
    for touch in batch {
        let at = latest.entry(&touch.id_digest).or_insert(touch.at);
        *at = (*at).max(touch.at);
    }
    let mut latest: Vec<(&str, i64)> = latest.into_iter().collect();
    let room = latest.len().next_power_of_two();
    let Some(&last) = latest.last() else { return Ok(()) };
    latest.resize(room, last);
    let cases: String = (0..room).map(|i| format!(" WHEN ${} THEN ${}", 2 * i + 1, 2 * i + 2)).collect();
    let keys: Vec<String> = (0..room).map(|i| format!("${}", 2 * i + 1)).collect();
    let sql = format!(
        "UPDATE sessions SET last_seen_at = CASE id_digest{cases} END WHERE id_digest IN ({})",
        keys.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for (id_digest, at) in latest {
        query = query.bind(id_digest).bind(at);
    }
    query.execute(conn).await?;
    Ok(())
}
