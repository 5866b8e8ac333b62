use crate::domain::AccountId;
use crate::domain::Email;
use sqlx::Connection as _;
use time::OffsetDateTime;

use super::{Store, StoreError, StoreResult, from_ms, to_ms};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    ConfirmSignUp,
    ResetPassword,
    ConfirmNewEmail,
    /// In the notice of a sign-up attempt: tells the service the address is misused (SU-7).
    ReportMisuse,
}

impl LinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::ConfirmSignUp => "confirm_sign_up",
            Self::ResetPassword => "reset_password",
            Self::ConfirmNewEmail => "confirm_new_email",
            Self::ReportMisuse => "report_misuse",
        }
    }
}

#[derive(Debug, Clone)]
pub struct EmailLink {
    pub id: i64,
    pub email: Email,
    pub account_id: Option<AccountId>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
    pub superseded_at: Option<OffsetDateTime>,
}

type Row = (i64, String, Option<AccountId>, i64, i64, Option<i64>, Option<i64>);

impl Store {
    /// Stores a new link (by its token's digest) and supersedes the older unused links of the
    /// same purpose for the same address, in one transaction.
    pub async fn create_email_link(
        &self,
        purpose: LinkPurpose,
        email: &Email,
        account_id: Option<AccountId>,
        token_digest: &str,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> StoreResult<()> {
        let digest = self.contacts.lookup(email);
        let key = format!("links:{}:{digest}", purpose.as_str());
        self.one_at_a_time(&key, async |conn| {
            let mut tx = conn.begin().await?;
            sqlx::query(
                "UPDATE email_links SET superseded_at = $1
                 WHERE purpose = $2 AND email = $3 AND used_at IS NULL AND superseded_at IS NULL",
            )
            .bind(to_ms(now))
            .bind(purpose.as_str())
            .bind(&digest)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO email_links (purpose, email, email_sealed, account_id, token_digest, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(purpose.as_str())
            .bind(&digest)
            .bind(self.contacts.seal(email))
            .bind(account_id)
            .bind(token_digest)
            .bind(to_ms(now))
            .bind(to_ms(expires_at))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    pub async fn email_link(
        &self,
        purpose: LinkPurpose,
        token_digest: &str,
    ) -> StoreResult<Option<EmailLink>> {
        let row = sqlx::query_as::<_, Row>(
            "SELECT id, email_sealed, account_id, created_at, expires_at, used_at, superseded_at
             FROM email_links WHERE purpose = $1 AND token_digest = $2",
        )
        .bind(purpose.as_str())
        .bind(token_digest)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        row.map(|(id, email, account_id, created, expires, used, superseded)| {
            Ok::<_, StoreError>(EmailLink {
                id,
                email: self.contacts.open_email(&email)?,
                account_id,
                created_at: from_ms(created)?,
                expires_at: from_ms(expires)?,
                used_at: used.map(from_ms).transpose()?,
                superseded_at: superseded.map(from_ms).transpose()?,
            })
        })
        .transpose()
    }

    /// Marks a link used if it still is usable; `false` when another request used it first.
    pub async fn use_email_link(&self, id: i64, now: OffsetDateTime) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE email_links SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND superseded_at IS NULL",
        )
        .bind(to_ms(now))
        .bind(id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
