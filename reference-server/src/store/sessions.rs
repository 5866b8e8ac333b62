use time::OffsetDateTime;

use super::{Store, StoreResult, from_ms, to_ms};

#[derive(Debug, Clone)]
pub struct StoredSession {
    pub state: String,
    pub last_seen_at: OffsetDateTime,
}

impl Store {
    pub async fn session(&self, id_digest: &str) -> StoreResult<Option<StoredSession>> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT state, last_seen_at FROM sessions WHERE id_digest = ?")
                .bind(id_digest)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(state, seen)| Ok(StoredSession { state, last_seen_at: from_ms(seen)? })).transpose()
    }

    pub async fn save_session(&self, id_digest: &str, state: &str, now: OffsetDateTime) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_digest, state, created_at, last_seen_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (id_digest) DO UPDATE SET state = excluded.state, last_seen_at = excluded.last_seen_at",
        )
        .bind(id_digest)
        .bind(state)
        .bind(to_ms(now))
        .bind(to_ms(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn touch_session(&self, id_digest: &str, now: OffsetDateTime) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE id_digest = ?")
            .bind(to_ms(now))
            .bind(id_digest)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, id_digest: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_digest = ?").bind(id_digest).execute(&self.pool).await?;
        Ok(())
    }
}
