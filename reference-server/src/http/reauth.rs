//! The current-password check that guards every settings change (ST-1, ST-2), shared by the
//! web pages and the API.

use super::AppState;
use super::session::Session;
use crate::domain::AccountId;
use crate::rules::session::{WrongPassword, wrong_current_password};
use crate::service::{Reason, ServiceError, ServiceResult};

/// Checks the current password of the signed-in account and returns its id.
///
/// The attempt is spent in the store before the password is checked, one statement per
/// attempt: N parallel guesses on one session spend N attempts, the one reaching the policy's
/// limit ends the session, and those after it are refused without checking the password.
/// Each wrong one also counts against the account's sign-in limit (SI-3).
pub async fn reauthenticate(
    app: &AppState,
    session: &Session,
    current_password: &str,
) -> ServiceResult<AccountId> {
    let signed_out = || ServiceError::SignedOut { locked_until: None };
    let account_id = session.state().account_id.ok_or_else(signed_out)?;
    let digest = session.id_digest().ok_or_else(signed_out)?;
    let store = &app.services.store;
    let limit = app.services.policy.reauthentication_attempt_limit;
    let Some(attempt) = store.spend_reauthentication_attempt(&digest, limit).await? else {
        session.destroy();
        return Err(signed_out());
    };
    if app.services.current_password_matches(account_id, current_password).await? {
        store.clear_reauthentication_attempts(&digest).await?;
        return Ok(account_id);
    }
    app.services.count_wrong_password(account_id).await?;
    match wrong_current_password(attempt, limit) {
        WrongPassword::SignsOut => {
            store.delete_session(&digest).await?;
            session.destroy();
            Err(signed_out())
        }
        WrongPassword::Counted { remaining } => {
            Err(ServiceError::Rejected(Reason::CurrentPasswordWrong { remaining }))
        }
    }
}
