use crate::domain::AccountId;
use crate::domain::Email;
use crate::domain::Phone;
use time::OffsetDateTime;

use super::{Store, StoreResult, from_ms, to_ms};

#[derive(Debug, Clone)]
pub struct Account {
    pub id: AccountId,
    pub email: Email,
    pub password_hash: String,
    pub created_at: OffsetDateTime,
    /// The confirmed phone (E.164); `None` until sign-up confirms one.
    pub phone: Option<Phone>,
    pub personal_key_hash: Option<String>,
    /// Set once sign-up is finished (phone confirmed, personal key issued).
    pub completed: bool,
}

const COLUMNS: &str =
    "id, email_sealed, password_hash, created_at, phone_sealed, personal_key_hash, completed_at";

type Row = (AccountId, String, String, i64, Option<String>, Option<String>, Option<i64>);

impl Store {
    fn account_of(
        &self,
        (id, email, password_hash, created_at, phone, personal_key_hash, completed): Row,
    ) -> StoreResult<Account> {
        Ok(Account {
            id,
            email: self.contacts.open_email(&email)?,
            password_hash,
            created_at: from_ms(created_at)?,
            phone: phone.map(|p| self.contacts.open_phone(&p)).transpose()?,
            personal_key_hash,
            completed: completed.is_some(),
        })
    }

    /// Creates an account; `None` when the address already has one.
    pub async fn create_account(
        &self,
        email: &Email,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<AccountId>> {
        let id = sqlx::query_scalar::<_, AccountId>(
            "INSERT INTO accounts (email, email_sealed, password_hash, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (email) DO NOTHING RETURNING id",
        )
        .bind(self.contacts.lookup(email))
        .bind(self.contacts.seal(email))
        .bind(password_hash)
        .bind(to_ms(now))
        .fetch_optional(&mut *self.write().await?)
        .await?;
        Ok(id)
    }

    pub async fn account_by_email(&self, email: &Email) -> StoreResult<Option<Account>> {
        sqlx::query_as::<_, Row>(&format!("SELECT {COLUMNS} FROM accounts WHERE email = $1"))
            .bind(self.contacts.lookup(email))
            .fetch_optional(&mut *self.read().await?)
            .await?
            .map(|row| self.account_of(row))
            .transpose()
    }

    pub async fn account(&self, id: AccountId) -> StoreResult<Option<Account>> {
        sqlx::query_as::<_, Row>(&format!("SELECT {COLUMNS} FROM accounts WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.read().await?)
            .await?
            .map(|row| self.account_of(row))
            .transpose()
    }
}

impl Store {
    /// Confirms the phone and stores the first personal key: sign-up is complete.
    pub async fn complete_sign_up(
        &self,
        id: AccountId,
        phone: &Phone,
        key_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE accounts SET phone_sealed = $1, personal_key_hash = $2, completed_at = $3 WHERE id = $4",
        )
        .bind(self.contacts.seal(phone))
        .bind(key_hash)
        .bind(to_ms(now))
        .bind(id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Replaces the personal key only if it is still `old_hash`: a key works once.
    pub async fn replace_personal_key(
        &self,
        id: AccountId,
        old_hash: &str,
        new_hash: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE accounts SET personal_key_hash = $1 WHERE id = $2 AND personal_key_hash = $3",
        )
        .bind(new_hash)
        .bind(id)
        .bind(old_hash)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

impl Store {
    pub async fn set_password(&self, id: AccountId, hash: &str) -> StoreResult<()> {
        sqlx::query("UPDATE accounts SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Changes the sign-in address; `false` when another account has it.
    pub async fn set_email(&self, id: AccountId, email: &Email) -> StoreResult<bool> {
        let digest = self.contacts.lookup(email);
        let done = sqlx::query(
            "UPDATE accounts SET email = $1, email_sealed = $2 WHERE id = $3 AND NOT EXISTS (SELECT 1 FROM accounts WHERE email = $4)",
        )
        .bind(&digest)
        .bind(self.contacts.seal(email))
        .bind(id)
        .bind(&digest)
        .execute(&mut *self.write().await?)
        .await;
        match done {
            Ok(done) => Ok(done.rows_affected() == 1),
            // Another account took the address at the same moment (PostgreSQL checks late).
            Err(error) if super::is_unique_violation(&error) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    pub async fn set_phone(&self, id: AccountId, phone: &Phone) -> StoreResult<()> {
        sqlx::query("UPDATE accounts SET phone_sealed = $1 WHERE id = $2")
            .bind(self.contacts.seal(phone))
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// After a password reset, the next sign-in issues a new personal key (PK-4).
    pub async fn mark_personal_key_reissue(&self, id: AccountId) -> StoreResult<()> {
        sqlx::query("UPDATE accounts SET reissue_personal_key = 1 WHERE id = $1")
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// Clears the reissue mark; `true` when it was set.
    pub async fn take_personal_key_reissue(&self, id: AccountId) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE accounts SET reissue_personal_key = 0 WHERE id = $1 AND reissue_personal_key = 1",
        )
        .bind(id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_personal_key(&self, id: AccountId, hash: &str) -> StoreResult<()> {
        sqlx::query("UPDATE accounts SET personal_key_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    pub async fn set_authenticator(&self, id: AccountId, sealed: &str, step: u64) -> StoreResult<()> {
        sqlx::query("UPDATE accounts SET totp_secret_sealed = $1, totp_last_step = $2 WHERE id = $3")
            .bind(sealed)
            .bind(i64::try_from(step).unwrap_or(i64::MAX))
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// The sealed authenticator secret and the newest step accepted, when one is set up.
    pub async fn authenticator(&self, id: AccountId) -> StoreResult<Option<(String, Option<u64>)>> {
        let row: Option<(Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT totp_secret_sealed, totp_last_step FROM accounts WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *self.read().await?)
                .await?;
        Ok(row.and_then(|(sealed, step)| sealed.map(|s| (s, step.and_then(|v| u64::try_from(v).ok())))))
    }

    /// Records `step` as used if it is newer than the last one: two requests with the same
    /// code cannot both succeed.
    pub async fn use_authenticator_step(&self, id: AccountId, step: u64) -> StoreResult<bool> {
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        let done = sqlx::query(
            "UPDATE accounts SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $3)",
        )
        .bind(step)
        .bind(id)
        .bind(step)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
