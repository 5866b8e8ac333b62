use time::OffsetDateTime;

use super::{Store, StoreResult, from_ms, to_ms};

#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub created_at: OffsetDateTime,
}

type Row = (i64, String, String, i64);

fn account((id, email, password_hash, created_at): Row) -> StoreResult<Account> {
    Ok(Account { id, email, password_hash, created_at: from_ms(created_at)? })
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
        sqlx::query_as::<_, Row>("SELECT id, email, password_hash, created_at FROM accounts WHERE email = ?")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?
            .map(account)
            .transpose()
    }

    pub async fn account(&self, id: i64) -> StoreResult<Option<Account>> {
        sqlx::query_as::<_, Row>("SELECT id, email, password_hash, created_at FROM accounts WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(account)
            .transpose()
    }
}
