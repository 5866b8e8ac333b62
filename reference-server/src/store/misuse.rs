//! Reports of a misused address (SU-7).

use time::OffsetDateTime;

use super::{Store, StoreResult, to_ms};
use crate::domain::AccountId;

impl Store {
    /// Records the report made through link `link_id` under `reference`, unless one was made
    /// through it already; returns the reference the report has (decided in one statement,
    /// so two presses at once get one report).
    pub async fn record_misuse_report(
        &self,
        link_id: i64,
        account_id: AccountId,
        reference: &str,
        now: OffsetDateTime,
    ) -> StoreResult<String> {
        sqlx::query(
            "INSERT INTO misuse_reports (link_id, account_id, reference, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (link_id) DO NOTHING",
        )
        .bind(link_id)
        .bind(account_id)
        .bind(reference)
        .bind(to_ms(now))
        .execute(&mut *self.write().await?)
        .await?;
        Ok(sqlx::query_scalar("SELECT reference FROM misuse_reports WHERE link_id = $1")
            .bind(link_id)
            .fetch_one(&mut *self.read().await?)
            .await?)
    }

    /// How many reports an account has (for tests and operators).
    pub async fn misuse_reports(&self, account_id: AccountId) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM misuse_reports WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(&mut *self.read().await?)
            .await?)
    }
}
