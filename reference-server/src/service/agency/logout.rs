//! RP-initiated logout (AG-1): back to the agency only at an address it registered.

use super::{AuthorizeError, with_query};
use crate::service::Services;

impl Services {
    /// RP-initiated logout: where to send the person after signing them out, when the agency
    /// registered that address.
    pub fn logout_redirect(
        &self,
        client_id: Option<&str>,
        post_logout_redirect_uri: Option<&str>,
        state: Option<&str>,
    ) -> Result<String, AuthorizeError> {
        let refuse =
            |reason, message: &str| AuthorizeError::NoRedirect { reason, message: message.to_owned() };
        let agency = client_id.and_then(|id| self.agencies.get(id)).ok_or_else(|| {
            refuse("unknown_client", "The agency that sent you here is not registered with this service.")
        })?;
        let uri = post_logout_redirect_uri
            .filter(|u| agency.post_logout_redirect_uris.iter().any(|r| r == u))
            .ok_or_else(|| {
                refuse(
                    "post_logout_redirect_uri_not_registered",
                    "The agency asked to send you to an address it has not registered, so we will not send you there.",
                )
            })?;
        Ok(match state.filter(|s| !s.is_empty()) {
            Some(state) => with_query(uri, &[("state", state)]),
            None => uri.to_owned(),
        })
    }
}
