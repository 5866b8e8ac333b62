use time::OffsetDateTime;

use super::{Store, StoreResult, from_ms, to_ms};

/// The result of counting one wrong code or personal key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Counted; `remaining` more are allowed before the lockout.
    Counted { remaining: u32 },
    /// This failure reached the limit: locked until then.
    LockedNow(OffsetDateTime),
    /// Already locked: nothing was counted.
    AlreadyLocked(OffsetDateTime),
}

impl Store {
    /// When code entry is locked for the account, until when.
    pub async fn locked_until(
        &self,
        account_id: i64,
        now: OffsetDateTime,
    ) -> StoreResult<Option<OffsetDateTime>> {
        let until: Option<Option<i64>> = sqlx::query_scalar("SELECT locked_until FROM accounts WHERE id = ?")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?;
        match until.flatten() {
            Some(ms) if ms > to_ms(now) => Ok(Some(from_ms(ms)?)),
            _ => Ok(None),
        }
    }

    /// Counts one failure in a single statement, so concurrent wrong entries can never count
    /// past the limit: the one reaching it sets the lock and resets the count, and the rest
    /// find the account locked.
    pub async fn count_failure(
        &self,
        account_id: i64,
        limit: u32,
        lock_until: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<Failure> {
        let row: Option<(i64, Option<i64>)> = sqlx::query_as(
            "UPDATE accounts SET
                failed_attempts = CASE WHEN failed_attempts + 1 >= ?1 THEN 0 ELSE failed_attempts + 1 END,
                locked_until    = CASE WHEN failed_attempts + 1 >= ?1 THEN ?2 ELSE locked_until END
             WHERE id = ?3 AND (locked_until IS NULL OR locked_until <= ?4)
             RETURNING failed_attempts, locked_until",
        )
        .bind(i64::from(limit))
        .bind(to_ms(lock_until))
        .bind(account_id)
        .bind(to_ms(now))
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some((_, Some(until))) if until == to_ms(lock_until) => Ok(Failure::LockedNow(lock_until)),
            Some((count, _)) => Ok(Failure::Counted {
                remaining: limit.saturating_sub(u32::try_from(count).unwrap_or(u32::MAX)),
            }),
            None => {
                Ok(Failure::AlreadyLocked(self.locked_until(account_id, now).await?.unwrap_or(lock_until)))
            }
        }
    }

    /// A correct code or key clears the count of failures.
    pub async fn clear_failures(&self, account_id: i64) -> StoreResult<()> {
        sqlx::query("UPDATE accounts SET failed_attempts = 0 WHERE id = ?")
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
