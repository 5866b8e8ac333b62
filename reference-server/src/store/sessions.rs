//! Sessions by the digest of their cookie, their state sealed (it holds addresses and numbers
//! in the middle of a sign-up or a change). A session is created once (`create_session`) and
//! afterwards only updated: a request that loaded a session before it was deleted (signed
//! out, timed out) cannot bring it back by saving.

use time::OffsetDateTime;

use super::{Store, StoreResult, to_ms};
use crate::rules::session::Alive;

impl Store {
    /// The state of the session under `id_digest` if `alive` admits it, marking it used at
    /// `now` in the same statement: a session that is over is neither returned nor revived,
    /// whatever a parallel request does. `None`: no such session, or it is over.
    pub async fn open_session(
        &self,
        id_digest: &str,
        now: OffsetDateTime,
        alive: Alive,
    ) -> StoreResult<Option<String>> {
        let state: Option<String> = sqlx::query_scalar(
            "UPDATE sessions SET last_seen_at = $1
             WHERE id_digest = $2 AND last_seen_at > $3 AND created_at > $4 RETURNING state",
        )
        .bind(to_ms(now))
        .bind(id_digest)
        .bind(to_ms(alive.seen_after))
        .bind(to_ms(alive.created_after))
        .fetch_optional(&self.pool)
        .await?;
        state.map(|state| self.contacts.open(&state)).transpose()
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
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Saves an existing session's state; `false` when it no longer exists (it stays gone).
    pub async fn save_session(&self, id_digest: &str, state: &str, now: OffsetDateTime) -> StoreResult<bool> {
        let saved = sqlx::query("UPDATE sessions SET state = $1, last_seen_at = $2 WHERE id_digest = $3")
            .bind(self.contacts.seal(state))
            .bind(to_ms(now))
            .bind(id_digest)
            .execute(&self.pool)
            .await?;
        Ok(saved.rows_affected() == 1)
    }

    pub async fn delete_session(&self, id_digest: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_digest = $1").bind(id_digest).execute(&self.pool).await?;
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
        .fetch_optional(&self.pool)
        .await?;
        Ok(attempt.map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
    }

    /// A right current password: the session's count starts again.
    pub async fn clear_reauthentication_attempts(&self, id_digest: &str) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET reauth_attempts = 0 WHERE id_digest = $1")
            .bind(id_digest)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
