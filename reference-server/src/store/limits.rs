use sqlx::AnyConnection;
use time::{Duration, OffsetDateTime};

use super::{Backend, Store, StoreResult, from_ms, to_ms};

/// What a limit decides on: the newest event times under a key since a moment (the edge
/// included), at most as many as the rule needs, and how many there are in all.
struct Window {
    newest: Vec<OffsetDateTime>,
    count: i64,
}

impl Store {
    /// Records one event under `key` if `decide` admits it given the newest `newest` events of
    /// the last `window` (the edge included: `decide` alone says whether an event exactly
    /// `window` old still counts), atomically: one decision per key at a time on PostgreSQL,
    /// and on SQLite the event is written only if the count is still the one `decide` saw (a
    /// concurrent request that changed it makes this one decide again). Returns what `decide`
    /// said last.
    pub async fn admit_event<E>(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
        newest: u32,
        decide: impl Fn(&[OffsetDateTime]) -> Result<(), E>,
    ) -> StoreResult<Result<(), E>> {
        let since = to_ms(now - window);
        if self.backend == Backend::Postgres && self.locks {
            return self
                .one_at_a_time(key, async |conn| {
                    self.decide_event(Some(conn), key, now, since, newest, &decide).await
                })
                .await;
        }
        // SQLite (and, in test builds only, PostgreSQL without its locks): the count is read
        // beside the writer, which is held for the one conditional insert only.
        self.decide_event(None, key, now, since, newest, &decide).await
    }

    /// [`Store::admit_event`]'s decision, on `conn` or else on the pools.
    async fn decide_event<E>(
        &self,
        mut conn: Option<&mut AnyConnection>,
        key: &str,
        now: OffsetDateTime,
        since: i64,
        newest: u32,
        decide: &impl Fn(&[OffsetDateTime]) -> Result<(), E>,
    ) -> StoreResult<Result<(), E>> {
        loop {
            let seen = match conn.as_deref_mut() {
                Some(conn) => self.read_window(conn, key, since, newest).await?,
                None => self.read_window(&mut *self.read().await?, key, since, newest).await?,
            };
            if let Err(refusal) = decide(&seen.newest) {
                return Ok(Err(refusal));
            }
            // Insert only if nobody else inserted meanwhile (same count as we decided on).
            let insert = sqlx::query(
                "INSERT INTO limited_events (key, at)
                 SELECT $1, $2 WHERE (SELECT COUNT(*) FROM limited_events WHERE key = $3 AND at >= $4) = $5",
            )
            .bind(key)
            .bind(to_ms(now))
            .bind(key)
            .bind(since)
            .bind(seen.count);
            let inserted = match conn.as_deref_mut() {
                Some(conn) => insert.execute(conn).await?,
                None => insert.execute(&mut *self.write().await?).await?,
            };
            if inserted.rows_affected() == 1 {
                return Ok(Ok(()));
            }
        }
    }

    /// Times of the newest `newest` events under `key` no older than `window` (the edge
    /// included, for the rule to decide).
    pub async fn recent_events(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
        newest: u32,
    ) -> StoreResult<Vec<OffsetDateTime>> {
        let mut conn = self.read().await?;
        Ok(self.read_window(&mut conn, key, to_ms(now - window), newest).await?.newest)
    }

    /// One row, whatever the number of events: the times come as one list, since the SQLite
    /// driver hands each result row over from its own thread, and a key a limit never refuses
    /// (a raised limit) may hold thousands.
    async fn read_window(
        &self,
        conn: &mut AnyConnection,
        key: &str,
        since: i64,
        newest: u32,
    ) -> StoreResult<Window> {
        let list = match self.backend {
            Backend::Sqlite => "group_concat(at)",
            Backend::Postgres => "string_agg(at::text, ',')",
        };
        let (count, list): (i64, Option<String>) = sqlx::query_as(&format!(
            "SELECT (SELECT COUNT(*) FROM limited_events WHERE key = $1 AND at >= $2),
                    (SELECT {list} FROM (SELECT at FROM limited_events WHERE key = $3 AND at >= $4
                                         ORDER BY at DESC LIMIT $5) AS newest)"
        ))
        .bind(key)
        .bind(since)
        .bind(key)
        .bind(since)
        .bind(i64::from(newest))
        .fetch_one(&mut *conn)
        .await?;
        let newest = list
            .iter()
            .flat_map(|list| list.split(','))
            .map(|ms| {
                ms.parse()
                    .map_err(|_| super::StoreError::Corrupt("limited_events.at".into()))
                    .and_then(from_ms)
            })
            .collect::<StoreResult<_>>()?;
        Ok(Window { newest, count })
    }

    pub async fn record_event(&self, key: &str, now: OffsetDateTime) -> StoreResult<()> {
        sqlx::query("INSERT INTO limited_events (key, at) VALUES ($1, $2)")
            .bind(key)
            .bind(to_ms(now))
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }
}
