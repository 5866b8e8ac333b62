//! Where the wrong-entry lockout (`rules/lockout.rs`) keeps its state: two columns of the
//! account. Each decision is written only if the state is still the one the rule saw.

use crate::domain::AccountId;
use time::OffsetDateTime;

use super::{Store, StoreError, StoreResult, from_ms, to_ms};
use crate::rules::lockout::{Attempts, Lockout, WrongEntry};

/// Tries before giving up on a contended account. Each failed try means another request
/// changed the state, and a rule allows at most `limit` changes before it locks (then it
/// writes nothing), so this is never reached by honest contention.
const MAX_TRIES: usize = 64;

impl Store {
    /// The account's wrong-entry state (`None`: no such account).
    pub async fn attempts(&self, account_id: AccountId) -> StoreResult<Option<Attempts>> {
        let row: Option<(i64, Option<i64>)> =
            sqlx::query_as("SELECT failed_attempts, locked_until FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_optional(&mut *self.read().await?)
                .await?;
        row.map(|(failures, until)| {
            Ok(Attempts {
                failures: u32::try_from(failures)
                    .map_err(|_| StoreError::Corrupt("failed_attempts".into()))?,
                locked_until: until.map(from_ms).transpose()?,
            })
        })
        .transpose()
    }

    /// Applies one wrong entry: lets the rule decide from `seen` (the state the caller read
    /// earlier in this request, which spares a read), and writes the new state only where the
    /// row still holds it (compare-and-swap), reading it afresh and trying again when another
    /// request got there first. So parallel wrong entries are counted one after the other,
    /// never past the limit.
    pub async fn record_wrong_entry(
        &self,
        account_id: AccountId,
        rule: &Lockout,
        now: OffsetDateTime,
        seen: Attempts,
    ) -> StoreResult<Option<WrongEntry>> {
        let mut seen = seen;
        for _ in 0..MAX_TRIES {
            let (next, decision) = rule.wrong_entry(seen, now);
            if next == seen {
                return Ok(Some(decision));
            }
            let written = sqlx::query(
                "UPDATE accounts SET failed_attempts = $1, locked_until = $2
                 WHERE id = $3 AND failed_attempts = $4 AND locked_until IS NOT DISTINCT FROM $5",
            )
            .bind(i64::from(next.failures))
            .bind(next.locked_until.map(to_ms))
            .bind(account_id)
            .bind(i64::from(seen.failures))
            .bind(seen.locked_until.map(to_ms))
            .execute(&mut *self.write().await?)
            .await?;
            if written.rows_affected() == 1 {
                return Ok(Some(decision));
            }
            let Some(fresh) = self.attempts(account_id).await? else { return Ok(None) };
            seen = fresh;
        }
        Err(StoreError::Contended("the account's wrong-entry count"))
    }

    /// A right code or key: the rule's `right_entry`, which only resets the count, so one
    /// statement applies it whatever else happened meanwhile.
    pub async fn clear_failures(&self, account_id: AccountId) -> StoreResult<()> {
        sqlx::query("UPDATE accounts SET failed_attempts = 0 WHERE id = $1")
            .bind(account_id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }
}
