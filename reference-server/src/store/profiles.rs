//! Verified identities (IV-1, PV-2, PR-4), stored only sealed: see
//! `migrations/sqlite/0010_verified_identity.sql` and `service::identity`.

use sqlx::Connection as _;
use time::OffsetDateTime;

use super::enrollments::NewEnrollment;
use super::{Store, StoreResult, from_ms, to_ms};
use crate::domain::AccountId;

#[derive(Debug, Clone)]
pub struct Profile {
    pub identity_sealed: String,
    /// `None`: deactivated by a password reset; the personal key reactivates it.
    pub key_by_password: Option<(String, String)>,
    /// The wrapped data key and the kdf of the personal key it is wrapped under.
    pub key_by_personal_key: (String, String),
    pub verified_at: OffsetDateTime,
    /// Enrolled to verify at a Post Office, which has not said the person passed (IV-2).
    pub pending: bool,
}

impl Profile {
    pub fn active(&self) -> bool {
        self.key_by_password.is_some() && !self.pending
    }
}

/// A new or re-wrapped profile: its data key under the password and under the personal key.
#[derive(Debug, Clone)]
pub struct Wrapped {
    pub key_by_password: String,
    pub password_kdf: String,
    pub key_by_personal_key: String,
    pub personal_key_kdf: String,
}

type Row = (String, Option<String>, Option<String>, String, String, i64, i64);

impl Store {
    pub async fn profile(&self, account_id: AccountId) -> StoreResult<Option<Profile>> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT identity_sealed, key_by_password, password_kdf, key_by_personal_key, personal_key_kdf,
                    verified_at, pending FROM verified_profiles WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        row.map(|(identity_sealed, by_password, password_kdf, by_key, key_kdf, at, pending)| {
            Ok(Profile {
                identity_sealed,
                key_by_password: by_password.zip(password_kdf),
                key_by_personal_key: (by_key, key_kdf),
                verified_at: from_ms(at)?,
                pending: pending != 0,
            })
        })
        .transpose()
    }

    /// Saves a verified identity (replacing any earlier one, and any enrollment at a Post
    /// Office) with the personal key that comes with it, in one transaction: the key that
    /// unwraps the profile is the account's key. With `enrollment`, the profile waits for the
    /// Post Office (IV-2).
    pub async fn save_profile(
        &self,
        account_id: AccountId,
        identity_sealed: &str,
        wrapped: &Wrapped,
        personal_key_hash: &str,
        enrollment: Option<&NewEnrollment>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin().await?;
        sqlx::query(
            "INSERT INTO verified_profiles (account_id, identity_sealed, key_by_password, password_kdf,
                 key_by_personal_key, personal_key_kdf, method, verified_at, pending)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (account_id) DO UPDATE SET identity_sealed = excluded.identity_sealed,
                 key_by_password = excluded.key_by_password, password_kdf = excluded.password_kdf,
                 key_by_personal_key = excluded.key_by_personal_key,
                 personal_key_kdf = excluded.personal_key_kdf, method = excluded.method,
                 verified_at = excluded.verified_at, pending = excluded.pending",
        )
        .bind(account_id)
        .bind(identity_sealed)
        .bind(&wrapped.key_by_password)
        .bind(&wrapped.password_kdf)
        .bind(&wrapped.key_by_personal_key)
        .bind(&wrapped.personal_key_kdf)
        .bind(if enrollment.is_some() { "in_person" } else { "remote" })
        .bind(to_ms(now))
        .bind(i64::from(enrollment.is_some()))
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM in_person_enrollments WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        if let Some(e) = enrollment {
            sqlx::query(
                "INSERT INTO in_person_enrollments (account_id, enrollment_code, unique_id, post_office, status,
                     created_at, deadline) VALUES ($1, $2, $3, $4, 'pending', $5, $6)",
            )
            .bind(account_id)
            .bind(&e.code)
            .bind(&e.unique_id)
            .bind(&e.post_office)
            .bind(to_ms(now))
            .bind(to_ms(e.deadline))
            .execute(&mut *tx)
            .await?;
        }
        set_personal_key(&mut tx, account_id, personal_key_hash).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Re-wraps the data key under a new password (a change in settings).
    pub async fn rewrap_password(&self, account_id: AccountId, wrapped: &str, kdf: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE verified_profiles SET key_by_password = $1, password_kdf = $2 WHERE account_id = $3",
        )
        .bind(wrapped)
        .bind(kdf)
        .bind(account_id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Re-wraps the data key under a new personal key (one was used, and replaced).
    pub async fn rewrap_personal_key(
        &self,
        account_id: AccountId,
        wrapped: &str,
        kdf: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE verified_profiles SET key_by_personal_key = $1, personal_key_kdf = $2 WHERE account_id = $3",
        )
        .bind(wrapped)
        .bind(kdf)
        .bind(account_id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// PR-4: the password that wrapped the data key is gone (a reset), so the profile waits
    /// for the personal key.
    pub async fn deactivate_profile(&self, account_id: AccountId) -> StoreResult<()> {
        sqlx::query(
            "UPDATE verified_profiles SET key_by_password = NULL, password_kdf = NULL WHERE account_id = $1",
        )
        .bind(account_id)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Reactivation with the personal key: new wraps under the current password and the new
    /// personal key, with the account's new personal key, at once.
    pub async fn reactivate_profile(
        &self,
        account_id: AccountId,
        wrapped: &Wrapped,
        personal_key_hash: &str,
    ) -> StoreResult<()> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin().await?;
        sqlx::query(
            "UPDATE verified_profiles SET key_by_password = $1, password_kdf = $2, key_by_personal_key = $3,
                 personal_key_kdf = $4 WHERE account_id = $5",
        )
        .bind(&wrapped.key_by_password)
        .bind(&wrapped.password_kdf)
        .bind(&wrapped.key_by_personal_key)
        .bind(&wrapped.personal_key_kdf)
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
        set_personal_key(&mut tx, account_id, personal_key_hash).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The account's personal key, in the transaction that wraps the identity under it.
async fn set_personal_key(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    account_id: AccountId,
    hash: &str,
) -> StoreResult<()> {
    sqlx::query("UPDATE accounts SET personal_key_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
