//! Sessions by the digest of their cookie, their state sealed (it holds addresses and numbers
//! in the middle of a sign-up or a change). A session is created once (`create_session`) and
//! afterwards only updated: a request that loaded a session before it was deleted (signed
//! out, timed out) cannot bring it back by saving.

use time::OffsetDateTime;

use super::{Backend, Store, StoreResult, from_ms, to_ms};

#[derive(Debug, Clone)]
pub struct StoredSession {
    pub state: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
}

impl Store {
    pub async fn session(&self, id_digest: &str) -> StoreResult<Option<StoredSession>> {
        let row: Option<(String, i64, i64)> =
            sqlx::query_as("SELECT state, created_at, last_seen_at FROM sessions WHERE id_digest = $1")
                .bind(id_digest)
                .fetch_optional(&mut *self.read().await?)
                .await?;
        row.map(|(state, created, seen)| {
            Ok(StoredSession {
                state: self.contacts.open(&state)?,
                created_at: from_ms(created)?,
                last_seen_at: from_ms(seen)?,
            })
        })
        .transpose()
    }

    /// A new session under a fresh random id.
    pub async fn create_session(&self, id_digest: &str, state: &str, now: OffsetDateTime) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_digest, state, created_at, last_seen_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id_digest)
        .bind(self.contacts.seal(state))
        .bind(to_ms(now))
        .bind(to_ms(now))
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Saves an existing session's state; `false` when it no longer exists (it stays gone).
    pub async fn save_session(&self, id_digest: &str, state: &str, now: OffsetDateTime) -> StoreResult<bool> {
        let saved = sqlx::query("UPDATE sessions SET state = $1, last_seen_at = $2 WHERE id_digest = $3")
            .bind(self.contacts.seal(state))
            .bind(to_ms(now))
            .bind(id_digest)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(saved.rows_affected() == 1)
    }

    /// Marks a session seen at `now` (on SQLite in a batch with others waiting meanwhile; on
    /// PostgreSQL every connection of the pool writes, so there is no turn to share).
    pub async fn touch_session(&self, id_digest: &str, now: OffsetDateTime) -> StoreResult<()> {
        match self.backend {
            Backend::Sqlite => self.touch_in_batch(id_digest, to_ms(now)).await,
            Backend::Postgres => self.touch_alone(id_digest, to_ms(now)).await,
        }
    }

    /// Sets one session's `last_seen_at` to `at` (Unix ms) in a statement of its own.
    pub(super) async fn touch_alone(&self, id_digest: &str, at: i64) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_digest = $2")
            .bind(at)
            .bind(id_digest)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, id_digest: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_digest = $1")
            .bind(id_digest)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// ST-2: spends one re-authentication attempt of the session, unless `limit` are spent
    /// already or the session is gone; answers which attempt this is (1 for the first). One
    /// statement decides, so N parallel attempts get N distinct numbers and none past `limit`.
    pub async fn spend_reauthentication_attempt(
        &self,
        id_digest: &str,
        limit: u32,
    ) -> StoreResult<Option<u32>> {
        let attempt: Option<i64> = sqlx::query_scalar(
            "UPDATE sessions SET reauth_attempts = reauth_attempts + 1
             WHERE id_digest = $1 AND reauth_attempts < $2 RETURNING reauth_attempts",
        )
        .bind(id_digest)
        .bind(i64::from(limit))
        .fetch_optional(&mut *self.write().await?)
        .await?;
        Ok(attempt.map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// A right current password: the session's count starts again.
    pub async fn clear_reauthentication_attempts(&self, id_digest: &str) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET reauth_attempts = 0 WHERE id_digest = $1")
            .bind(id_digest)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }
}
