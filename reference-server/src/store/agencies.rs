//! Consents, authorization codes, access tokens and client-assertion ids (agency sign-in).

use crate::domain::AccountId;
use sqlx::Connection as _;
use time::OffsetDateTime;

use super::{Store, StoreResult, from_ms, to_ms};

#[derive(Debug, Clone)]
pub struct Consent {
    pub client_id: String,
    pub attributes: String,
    pub granted_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewCode<'a> {
    pub code_digest: &'a str,
    pub client_id: &'a str,
    pub account_id: AccountId,
    pub redirect_uri: &'a str,
    pub attributes: &'a str,
    pub nonce: &'a str,
    pub code_challenge: Option<&'a str>,
    pub acr: &'a str,
    pub auth_time: OffsetDateTime,
    /// Verified attributes for the agency, sealed under a key only the code carries.
    pub identity_sealed: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AuthorizationCode {
    pub id: i64,
    pub client_id: String,
    pub account_id: AccountId,
    pub redirect_uri: String,
    pub attributes: String,
    pub nonce: String,
    pub code_challenge: Option<String>,
    pub acr: String,
    pub auth_time: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub identity_sealed: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AccessToken {
    pub client_id: String,
    pub account_id: AccountId,
    pub attributes: String,
    pub expires_at: OffsetDateTime,
    pub revoked: bool,
    /// Verified attributes, sealed under a key only the token carries.
    pub identity_sealed: Option<String>,
}

type CodeRow =
    (i64, String, AccountId, String, String, String, Option<String>, String, i64, i64, Option<String>);

impl Store {
    pub async fn consent(&self, account_id: AccountId, client_id: &str) -> StoreResult<Option<Consent>> {
        Ok(self.consents(account_id).await?.into_iter().find(|c| c.client_id == client_id))
    }

    pub async fn consents(&self, account_id: AccountId) -> StoreResult<Vec<Consent>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT client_id, attributes, granted_at FROM consents WHERE account_id = $1 ORDER BY granted_at",
        )
        .bind(account_id)
        .fetch_all(&mut *self.read().await?)
        .await?;
        rows.into_iter()
            .map(|(client_id, attributes, at)| {
                Ok(Consent { client_id, attributes, granted_at: from_ms(at)? })
            })
            .collect()
    }

    pub async fn save_consent(
        &self,
        account_id: AccountId,
        client_id: &str,
        attributes: &str,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO consents (account_id, client_id, attributes, granted_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (account_id, client_id) DO UPDATE SET attributes = excluded.attributes, granted_at = excluded.granted_at",
        )
        .bind(account_id)
        .bind(client_id)
        .bind(attributes)
        .bind(to_ms(now))
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    /// Withdraws consent and revokes every token the agency holds for the account, at once.
    pub async fn revoke_consent(&self, account_id: AccountId, client_id: &str) -> StoreResult<bool> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin().await?;
        let removed = sqlx::query("DELETE FROM consents WHERE account_id = $1 AND client_id = $2")
            .bind(account_id)
            .bind(client_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("UPDATE access_tokens SET revoked = 1 WHERE account_id = $1 AND client_id = $2")
            .bind(account_id)
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(removed > 0)
    }

    pub async fn insert_authorization_code(
        &self,
        code: &NewCode<'_>,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO authorization_codes (code_digest, client_id, account_id, redirect_uri, attributes,
                 nonce, code_challenge, acr, auth_time, created_at, identity_sealed)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(code.code_digest)
        .bind(code.client_id)
        .bind(code.account_id)
        .bind(code.redirect_uri)
        .bind(code.attributes)
        .bind(code.nonce)
        .bind(code.code_challenge)
        .bind(code.acr)
        .bind(to_ms(code.auth_time))
        .bind(to_ms(now))
        .bind(&code.identity_sealed)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    pub async fn authorization_code(&self, code_digest: &str) -> StoreResult<Option<AuthorizationCode>> {
        let row: Option<CodeRow> = sqlx::query_as(
            "SELECT id, client_id, account_id, redirect_uri, attributes, nonce, code_challenge, acr, auth_time,
                    created_at, identity_sealed FROM authorization_codes WHERE code_digest = $1",
        )
        .bind(code_digest)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        row.map(
            |(
                id,
                client_id,
                account_id,
                redirect_uri,
                attributes,
                nonce,
                code_challenge,
                acr,
                auth,
                at,
                identity,
            )| {
                Ok(AuthorizationCode {
                    id,
                    client_id,
                    account_id,
                    redirect_uri,
                    attributes,
                    nonce,
                    code_challenge,
                    acr,
                    auth_time: from_ms(auth)?,
                    created_at: from_ms(at)?,
                    identity_sealed: identity,
                })
            },
        )
        .transpose()
    }

    /// Marks a code used, once: false when it already was. A reused code revokes every token
    /// issued with it (RFC 6749 section 4.1.2), in the same transaction.
    pub async fn use_authorization_code(&self, id: i64, now: OffsetDateTime) -> StoreResult<bool> {
        let mut conn = self.write().await?;
        let mut tx = conn.begin().await?;
        let first =
            sqlx::query("UPDATE authorization_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
                .bind(to_ms(now))
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                == 1;
        if !first {
            sqlx::query("UPDATE access_tokens SET revoked = 1 WHERE code_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(first)
    }

    pub async fn insert_access_token(
        &self,
        token_digest: &str,
        code: &AuthorizationCode,
        expires_at: OffsetDateTime,
        identity_sealed: Option<&str>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO access_tokens (token_digest, code_id, client_id, account_id, attributes, expires_at,
                 identity_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token_digest)
        .bind(code.id)
        .bind(&code.client_id)
        .bind(code.account_id)
        .bind(&code.attributes)
        .bind(to_ms(expires_at))
        .bind(identity_sealed)
        .execute(&mut *self.write().await?)
        .await?;
        Ok(())
    }

    pub async fn access_token(&self, token_digest: &str) -> StoreResult<Option<AccessToken>> {
        let row: Option<(String, AccountId, String, i64, i64, Option<String>)> = sqlx::query_as(
            "SELECT client_id, account_id, attributes, expires_at, revoked, identity_sealed FROM access_tokens
             WHERE token_digest = $1",
        )
        .bind(token_digest)
        .fetch_optional(&mut *self.read().await?)
        .await?;
        row.map(|(client_id, account_id, attributes, expires_at, revoked, identity_sealed)| {
            Ok(AccessToken {
                client_id,
                account_id,
                attributes,
                expires_at: from_ms(expires_at)?,
                revoked: revoked != 0,
                identity_sealed,
            })
        })
        .transpose()
    }

    /// Records a client assertion's `jti`; false when the agency already used it (a replay).
    /// Ids whose assertions have expired are forgotten: those assertions fail on `exp` anyway.
    pub async fn record_assertion(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<bool> {
        sqlx::query("DELETE FROM client_assertions WHERE expires_at < $1")
            .bind(to_ms(now))
            .execute(&mut *self.write().await?)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO client_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(client_id)
        .bind(jti)
        .bind(to_ms(expires_at))
        .execute(&mut *self.write().await?)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }
}
