//! The manual clock's time, shared by every instance on this store (conformance hooks only).

use time::{Duration, OffsetDateTime};

use super::{Store, StoreResult, from_ms, to_ms};

impl Store {
    /// The shared manual time, if any instance has set it.
    pub async fn manual_clock(&self) -> StoreResult<Option<OffsetDateTime>> {
        let ms: Option<i64> = sqlx::query_scalar("SELECT now_ms FROM manual_clock WHERE id = 1")
            .fetch_optional(&mut *self.read().await?)
            .await?;
        ms.map(from_ms).transpose()
    }

    /// Moves the shared time to the later of itself and `at`, then on by `by`, in one
    /// statement (two instances moving at once both count); returns the new shared time.
    pub async fn move_manual_clock(&self, at: OffsetDateTime, by: Duration) -> StoreResult<OffsetDateTime> {
        let (at, by) = (to_ms(at), i64::try_from(by.whole_milliseconds()).unwrap_or(i64::MAX));
        let ms: i64 = sqlx::query_scalar(
            "INSERT INTO manual_clock (id, now_ms) VALUES (1, $1 + $2)
             ON CONFLICT (id) DO UPDATE
             SET now_ms = CASE WHEN manual_clock.now_ms > $1 THEN manual_clock.now_ms ELSE $1 END + $2
             RETURNING now_ms",
        )
        .bind(at)
        .bind(by)
        .fetch_one(&mut *self.write().await?)
        .await?;
        from_ms(ms)
    }
}
