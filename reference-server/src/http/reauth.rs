//! The current-password check that guards every settings change (ST-1, ST-2), shared by the
//! web pages and the API.

use super::AppState;
use super::session::Session;
use crate::domain::AccountId;
use crate::rules::session::{WrongPassword, wrong_current_password};
use crate::service::{Reason, ServiceError, ServiceResult};

/// Checks the current password of the signed-in account and returns its id. Wrong entries
/// are counted in the session; the one reaching the policy's limit ends the session.
pub async fn reauthenticate(
    app: &AppState,
    session: &Session,
    current_password: &str,
) -> ServiceResult<AccountId> {
    let state = session.state();
    let account_id = state.account_id.ok_or(ServiceError::SignedOut { locked_until: None })?;
    if app.services.current_password_matches(account_id, current_password).await? {
        session.update(|s| s.reauthentication_failures = 0);
        return Ok(account_id);
    }
    let limit = app.services.policy.reauthentication_attempt_limit;
    match wrong_current_password(state.reauthentication_failures, limit) {
        WrongPassword::SignsOut => {
            session.destroy();
            Err(ServiceError::SignedOut { locked_until: None })
        }
        WrongPassword::Counted { failures, remaining } => {
            session.update(|s| s.reauthentication_failures = failures);
            Err(ServiceError::Rejected(Reason::CurrentPasswordWrong { remaining }))
        }
    }
}
