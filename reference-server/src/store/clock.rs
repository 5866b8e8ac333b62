//! The manual clock's offset across restarts (conformance hooks only).

use time::Duration;

use super::{Store, StoreResult};

impl Store {
    pub async fn clock_offset(&self) -> StoreResult<Duration> {
        let ms: Option<i64> = sqlx::query_scalar("SELECT offset_ms FROM clock_offset WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(Duration::milliseconds(ms.unwrap_or(0)))
    }

    /// Keeps the larger of the stored offset and `offset` (the clock never goes back).
    pub async fn save_clock_offset(&self, offset: Duration) -> StoreResult<()> {
        let ms = i64::try_from(offset.whole_milliseconds()).unwrap_or(i64::MAX);
        sqlx::query(
            "INSERT INTO clock_offset (id, offset_ms) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET offset_ms = MAX(offset_ms, excluded.offset_ms)",
        )
        .bind(ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
