use time::OffsetDateTime;

use super::{Store, StoreResult, from_ms, to_ms};

#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub created_at: OffsetDateTime,
    /// The confirmed phone (E.164); `None` until sign-up confirms one.
    pub phone: Option<String>,
    pub personal_key_hash: Option<String>,
    /// Set once sign-up is finished (phone confirmed, personal key issued).
    pub completed: bool,
}

const COLUMNS: &str = "id, email, password_hash, created_at, phone, personal_key_hash, completed_at";

type Row = (i64, String, String, i64, Option<String>, Option<String>, Option<i64>);

fn account(
    (id, email, password_hash, created_at, phone, personal_key_hash, completed): Row,
) -> StoreResult<Account> {
    Ok(Account {
        id,
        email,
        password_hash,
        created_at: from_ms(created_at)?,
        phone,
        personal_key_hash,
        completed: completed.is_some(),
    })
}

impl Store {
    /// Creates an account; `None` when the address already has one.
    pub async fn create_account(
        &self,
        email: &str,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<Option<i64>> {
        let id = sqlx::query_scalar::<_, i64>(
            "INSERT INTO accounts (email, password_hash, created_at) VALUES (?, ?, ?)
             ON CONFLICT (email) DO NOTHING RETURNING id",
        )
        .bind(email)
        .bind(password_hash)
        .bind(to_ms(now))
        .fetch_optional(&self.pool)
        .await?;
        Ok(id)
    }

    pub async fn account_by_email(&self, email: &str) -> StoreResult<Option<Account>> {
        sqlx::query_as::<_, Row>(&format!("SELECT {COLUMNS} FROM accounts WHERE email = ?"))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?
            .map(account)
            .transpose()
    }

    pub async fn account(&self, id: i64) -> StoreResult<Option<Account>> {
        sqlx::query_as::<_, Row>(&format!("SELECT {COLUMNS} FROM accounts WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(account)
            .transpose()
    }
}

impl Store {
    /// Confirms the phone and stores the first personal key: sign-up is complete.
    pub async fn complete_sign_up(
        &self,
        id: i64,
        phone: &str,
        key_hash: &str,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE accounts SET phone = ?, personal_key_hash = ?, completed_at = ? WHERE id = ?")
            .bind(phone)
            .bind(key_hash)
            .bind(to_ms(now))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Replaces the personal key only if it is still `old_hash`: a key works once.
    pub async fn replace_personal_key(&self, id: i64, old_hash: &str, new_hash: &str) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE accounts SET personal_key_hash = ? WHERE id = ? AND personal_key_hash = ?")
                .bind(new_hash)
                .bind(id)
                .bind(old_hash)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }
}
