//! The mail outbox: sealed messages waiting to be sent. A worker claims a message before
//! sending it, so two server instances never send the same one; a claim lapses if its worker
//! dies, and the message is sent again.

use time::{Duration, OffsetDateTime};

use super::{Store, StoreResult, to_ms};

/// A message to send.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub id: i64,
    pub sealed: String,
    pub attempts: u32,
}

impl Store {
    pub async fn enqueue_mail(&self, sealed: &str, now: OffsetDateTime) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("INSERT INTO outbox (sealed, created_at) VALUES ($1, $2) RETURNING id")
            .bind(sealed)
            .bind(to_ms(now))
            .fetch_one(&mut *self.write().await?)
            .await?)
    }

    /// Claims up to `limit` messages nobody holds, oldest first, for `hold`.
    pub async fn claim_mail(
        &self,
        limit: u32,
        hold: Duration,
        now: OffsetDateTime,
    ) -> StoreResult<Vec<OutgoingMail>> {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "UPDATE outbox SET claimed_until = $1
             WHERE id IN (SELECT id FROM outbox WHERE claimed_until IS NULL OR claimed_until <= $2
                          ORDER BY id LIMIT $3)
               AND (claimed_until IS NULL OR claimed_until <= $2)
             RETURNING id, sealed, attempts",
        )
        .bind(to_ms(now + hold))
        .bind(to_ms(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *self.write().await?)
        .await?;
        let mut mail: Vec<OutgoingMail> = rows
            .into_iter()
            .map(|(id, sealed, attempts)| OutgoingMail {
                id,
                sealed,
                attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            })
            .collect();
        mail.sort_by_key(|m| m.id);
        Ok(mail)
    }

    /// Sent: gone from the outbox.
    pub async fn mail_sent(&self, id: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM outbox WHERE id = $1").bind(id).execute(&mut *self.write().await?).await?;
        Ok(())
    }

    /// Not sent this time: counted, and released for the next try.
    pub async fn mail_failed(&self, id: i64) -> StoreResult<()> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1, claimed_until = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    /// The newest message queued so far, if any wait.
    pub async fn newest_mail(&self) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT MAX(id) FROM outbox").fetch_one(&mut *self.read().await?).await?)
    }

    /// How many of the messages up to `newest` still wait: queued, or claimed and not yet
    /// taken by the mail server. Later ones get higher ids, so they are not counted.
    pub async fn mail_waiting_through(&self, newest: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE id <= $1")
            .bind(newest)
            .fetch_one(&mut *self.read().await?)
            .await?)
    }

    /// How many messages wait (for the health of delivery).
    pub async fn mail_waiting(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(&mut *self.read().await?).await?)
    }
}
