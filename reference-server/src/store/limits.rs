use time::{Duration, OffsetDateTime};

use super::{Store, StoreResult, from_ms, to_ms};

impl Store {
    /// Records one event under `key` if `decide` admits it given the events of the last
    /// `window` (the edge included: `decide` alone says whether an event exactly `window` old
    /// still counts), atomically: one decision per key at a time, and (on SQLite) a concurrent
    /// request that changed the count makes this one decide again. Returns what `decide` said
    /// last.
    pub async fn admit_event<E>(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
        decide: impl Fn(&[OffsetDateTime]) -> Result<(), E>,
    ) -> StoreResult<Result<(), E>> {
        let since = to_ms(now - window);
        self.one_at_a_time(key, async |conn| {
            loop {
                let earlier: Vec<i64> =
                    sqlx::query_scalar("SELECT at FROM limited_events WHERE key = $1 AND at >= $2")
                        .bind(key)
                        .bind(since)
                        .fetch_all(&mut *conn)
                        .await?;
                let times = earlier.iter().map(|ms| from_ms(*ms)).collect::<StoreResult<Vec<_>>>()?;
                if let Err(refusal) = decide(&times) {
                    return Ok(Err(refusal));
                }
                // Insert only if nobody else inserted meanwhile (same count as we decided on).
                let inserted = sqlx::query(
                    "INSERT INTO limited_events (key, at)
                     SELECT $1, $2 WHERE (SELECT COUNT(*) FROM limited_events WHERE key = $3 AND at >= $4) = $5",
                )
                .bind(key)
                .bind(to_ms(now))
                .bind(key)
                .bind(since)
                .bind(i64::try_from(earlier.len()).unwrap_or(i64::MAX))
                .execute(&mut *conn)
                .await?;
                if inserted.rows_affected() == 1 {
                    return Ok(Ok(()));
                }
            }
        })
        .await
    }
}

impl Store {
    /// Times of the events under `key` no older than `window` (the edge included, for the rule
    /// to decide).
    pub async fn recent_events(
        &self,
        key: &str,
        now: OffsetDateTime,
        window: Duration,
    ) -> StoreResult<Vec<OffsetDateTime>> {
        let rows: Vec<i64> = sqlx::query_scalar("SELECT at FROM limited_events WHERE key = $1 AND at >= $2")
            .bind(key)
            .bind(to_ms(now - window))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(from_ms).collect()
    }

    pub async fn record_event(&self, key: &str, now: OffsetDateTime) -> StoreResult<()> {
        sqlx::query("INSERT INTO limited_events (key, at) VALUES ($1, $2)")
            .bind(key)
            .bind(to_ms(now))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
