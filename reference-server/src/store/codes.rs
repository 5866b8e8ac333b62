use crate::domain::AccountId;
use crate::domain::Phone;
use time::OffsetDateTime;

use super::{Store, StoreResult, from_ms, to_ms};
use crate::rules::otp::StoredCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    ConfirmPhone,
    SignIn,
    ChangePhone,
}

impl CodePurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::ConfirmPhone => "confirm_phone",
            Self::SignIn => "sign_in",
            Self::ChangePhone => "change_phone",
        }
    }
}

/// A stored code with its row id and the number it was sent to.
#[derive(Debug, Clone)]
pub struct CodeRow {
    pub id: i64,
    pub phone: Phone,
    pub code: StoredCode,
}

type CodeColumns = (i64, String, String, i64, Option<i64>, Option<i64>);

impl Store {
    fn code_row(&self, (id, phone, digest, expires, used, superseded): CodeColumns) -> StoreResult<CodeRow> {
        Ok(CodeRow {
            id,
            phone: self.contacts.open_phone(&phone)?,
            code: StoredCode {
                digest,
                expires_at: from_ms(expires)?,
                used: used.is_some(),
                superseded: superseded.is_some(),
            },
        })
    }
}

impl Store {
    /// Stores a new code and, with `supersede` (always, but in a test variant that breaks
    /// OTP-3), supersedes every older unused one for the same purpose.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_code(
        &self,
        account_id: AccountId,
        purpose: CodePurpose,
        phone: &Phone,
        digest: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
        supersede: bool,
    ) -> StoreResult<i64> {
        // One new code per account and purpose at a time: two sent at once must not both stay
        // the newest. No transaction of its own (on PostgreSQL the lock's holds both): stopped
        // between the two, older codes are superseded and the new one is not stored, so the
        // person asks again; no code that should have stopped working works.
        let key = format!("codes:{account_id}:{}", purpose.as_str());
        self.one_at_a_time(&key, async |conn| {
            if supersede {
                sqlx::query(
                    "UPDATE codes SET superseded_at = $1
                     WHERE account_id = $2 AND purpose = $3 AND used_at IS NULL AND superseded_at IS NULL",
                )
                .bind(to_ms(now))
                .bind(account_id)
                .bind(purpose.as_str())
                .execute(&mut *conn)
                .await?;
            }
            let id = sqlx::query_scalar(
                "INSERT INTO codes (account_id, purpose, phone, code_digest, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(account_id)
            .bind(purpose.as_str())
            .bind(self.contacts.seal(phone))
            .bind(digest)
            .bind(to_ms(now))
            .bind(to_ms(expires_at))
            .fetch_one(&mut *conn)
            .await?;
            Ok(id)
        })
        .await
    }

    /// Withdraws a code that could not be delivered.
    pub async fn withdraw_code(&self, id: i64, now: OffsetDateTime) -> StoreResult<()> {
        sqlx::query("UPDATE codes SET superseded_at = $1 WHERE id = $2")
            .bind(to_ms(now))
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// What an entered code is checked against, in one row: the newest code for `purpose`
    /// whose digest is `digest`, or else the newest code (which the rule then finds wrong);
    /// `None` when none was sent. Digests are keyed (HMAC), so finding the row by one tells an
    /// attacker nothing; the rule still compares the one found in constant time.
    pub async fn code_for_entry(
        &self,
        account_id: AccountId,
        purpose: CodePurpose,
        digest: &str,
    ) -> StoreResult<Option<CodeRow>> {
        let row: Option<CodeColumns> = sqlx::query_as(
            "SELECT id, phone, code_digest, expires_at, used_at, superseded_at FROM codes WHERE id = COALESCE(
                 (SELECT MAX(id) FROM codes WHERE account_id = $1 AND purpose = $2 AND code_digest = $3),
                 (SELECT MAX(id) FROM codes WHERE account_id = $4 AND purpose = $5))",
        )
        .bind(account_id)
        .bind(purpose.as_str())
        .bind(digest)
        .bind(account_id)
        .bind(purpose.as_str())
        .fetch_optional(&mut *self.read().await?)
        .await?;
        row.map(|row| self.code_row(row)).transpose()
    }

    /// Every code sent for `purpose`, newest first.
    pub async fn codes(&self, account_id: AccountId, purpose: CodePurpose) -> StoreResult<Vec<CodeRow>> {
        let rows: Vec<CodeColumns> = sqlx::query_as(
            "SELECT id, phone, code_digest, expires_at, used_at, superseded_at FROM codes
             WHERE account_id = $1 AND purpose = $2 ORDER BY id DESC",
        )
        .bind(account_id)
        .bind(purpose.as_str())
        .fetch_all(&mut *self.read().await?)
        .await?;
        rows.into_iter().map(|row| self.code_row(row)).collect()
    }

    /// Marks a code used if nobody used or replaced it meanwhile.
    pub async fn use_code(&self, id: i64, now: OffsetDateTime) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND superseded_at IS NULL",
        )
        .bind(to_ms(now))
        .bind(id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
