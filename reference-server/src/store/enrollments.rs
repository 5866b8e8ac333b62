//! Enrollments to verify in person at a Post Office (IV-2); see
//! `migrations/sqlite/0011_in_person.sql`. A result is decided once, atomically: the first pass of
//! the result job to record it wins, and its notice is queued in the same transaction.

use sqlx::Connection as _;
use time::OffsetDateTime;

use super::{Store, StoreError, StoreResult, from_ms, to_ms};
use crate::domain::AccountId;

/// An enrollment to save with a pending profile.
#[derive(Debug, Clone)]
pub struct NewEnrollment {
    pub code: String,
    pub unique_id: String,
    /// The chosen Post Office, as JSON.
    pub post_office: String,
    pub deadline: OffsetDateTime,
}

/// How an enrollment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollmentStatus {
    Pending,
    Passed,
    Failed,
    Expired,
}

impl EnrollmentStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Expired => "expired",
        }
    }

    fn parse(text: &str) -> StoreResult<Self> {
        Ok(match text {
            "pending" => Self::Pending,
            "passed" => Self::Passed,
            "failed" => Self::Failed,
            "expired" => Self::Expired,
            other => return Err(StoreError::Corrupt(format!("enrollment status {other:?}"))),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Enrollment {
    pub account_id: AccountId,
    pub code: String,
    pub unique_id: String,
    pub post_office: String,
    pub status: EnrollmentStatus,
    pub deadline: OffsetDateTime,
    pub decided_at: Option<OffsetDateTime>,
}

type Row = (AccountId, String, String, String, String, i64, Option<i64>);

fn enrollment(row: Row) -> StoreResult<Enrollment> {
    let (account_id, code, unique_id, post_office, status, deadline, decided_at) = row;
    Ok(Enrollment {
        account_id,
        code,
        unique_id,
        post_office,
        status: EnrollmentStatus::parse(&status)?,
        deadline: from_ms(deadline)?,
        decided_at: decided_at.map(from_ms).transpose()?,
    })
}

const COLUMNS: &str = "account_id, enrollment_code, unique_id, post_office, status, deadline, decided_at";

impl Store {
    pub async fn enrollment(&self, account_id: AccountId) -> StoreResult<Option<Enrollment>> {
        let row: Option<Row> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM in_person_enrollments WHERE account_id = $1"))
                .bind(account_id)
                .fetch_optional(&mut *self.read().await?)
                .await?;
        row.map(enrollment).transpose()
    }

    /// Up to `limit` pending enrollments after `after` (a deadline and account id, as the last
    /// of the previous page gave them), nearest their deadline first: a pass pages through all
    /// of them, however many stay pending.
    pub async fn pending_enrollments(
        &self,
        after: Option<(OffsetDateTime, AccountId)>,
        limit: u32,
    ) -> StoreResult<Vec<Enrollment>> {
        let (deadline, account_id) = after.map_or((i64::MIN, i64::MIN), |(d, a)| (to_ms(d), a.get()));
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM in_person_enrollments
             WHERE status = 'pending' AND (deadline, account_id) > ($1, $2)
             ORDER BY deadline, account_id LIMIT $3"
        ))
        .bind(deadline)
        .bind(account_id)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.read().await?)
        .await?;
        rows.into_iter().map(enrollment).collect()
    }

    /// Records how a pending enrollment ended, once: `false` when it was no longer pending
    /// (another pass, or another instance, decided it). Passed makes the profile count;
    /// failed or expired removes the sealed identity it was waiting with. The notice
    /// (`mail_sealed`) is queued in the same transaction, so it goes exactly when the decision
    /// is recorded.
    pub async fn decide_enrollment(
        &self,
        account_id: AccountId,
        code: &str,
        status: EnrollmentStatus,
        mail_sealed: &str,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin().await?;
        let decided = sqlx::query(
            "UPDATE in_person_enrollments SET status = $1, decided_at = $2
             WHERE account_id = $3 AND enrollment_code = $4 AND status = 'pending'",
        )
        .bind(status.code())
        .bind(to_ms(now))
        .bind(account_id)
        .bind(code)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if decided == 0 {
            return Ok(false);
        }
        let profile = if status == EnrollmentStatus::Passed {
            "UPDATE verified_profiles SET pending = 0, verified_at = $1 WHERE account_id = $2 AND pending = 1"
        } else {
            "DELETE FROM verified_profiles WHERE $1 IS NOT NULL AND account_id = $2 AND pending = 1"
        };
        sqlx::query(profile).bind(to_ms(now)).bind(account_id).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO outbox (sealed, created_at) VALUES ($1, $2)")
            .bind(mail_sealed)
            .bind(to_ms(now))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
