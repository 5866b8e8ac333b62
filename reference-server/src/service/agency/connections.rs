//! The agencies a person shares with (account page), and withdrawing that consent.

use crate::domain::AccountId;
use serde::Serialize;
use time::OffsetDateTime;

use crate::rules::oidc::{self, Attribute};
use crate::service::{ServiceResult, Services};

/// An agency the person shares with.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectedAgency {
    pub client_id: String,
    pub name: String,
    #[schema(value_type = Vec<String>)]
    pub attributes: Vec<Attribute>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub granted_at: OffsetDateTime,
}

impl Services {
    /// The agencies the person has agreed to share with, and what (for the account page).
    pub async fn connected_agencies(&self, account_id: AccountId) -> ServiceResult<Vec<ConnectedAgency>> {
        let consents = self.store.consents(account_id).await?;
        Ok(consents
            .into_iter()
            .map(|c| ConnectedAgency {
                name: self.agencies.get(&c.client_id).map_or_else(|| c.client_id.clone(), |a| a.name.clone()),
                attributes: oidc::from_words(&c.attributes).into_iter().collect(),
                client_id: c.client_id,
                granted_at: c.granted_at,
            })
            .collect())
    }

    /// Withdraws consent: the agency's tokens stop working and the next request asks again.
    pub async fn revoke_agency(&self, account_id: AccountId, client_id: &str) -> ServiceResult<bool> {
        Ok(self.store.revoke_consent(account_id, client_id).await?)
    }
}
