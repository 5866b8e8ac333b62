//! The JSON API: every flow of the web pages, over the same services and the same session.

mod account;
mod agency;
pub mod answer;
pub mod openapi;
mod recovery;
mod settings;
mod signin;
mod signup;

use axum::Router;
use axum::extract::FromRequest;

use super::AppState;
use super::error::ApiError;

pub fn routes() -> Router<AppState> {
    signup::routes()
        .route("/openapi.json", axum::routing::get(openapi::document))
        .merge(signin::routes())
        .merge(account::routes())
        .merge(recovery::routes())
        .merge(settings::routes())
        .merge(agency::routes())
}

/// A JSON body whose problems are reported as `invalid_request` with a reason.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// Runs a use case whose failure may sign the person out: then the session ends too.
pub async fn ending_session_on_sign_out<T>(
    session: &crate::http::session::Session,
    result: crate::service::ServiceResult<T>,
) -> Result<T, ApiError> {
    if let Err(crate::service::ServiceError::SignedOut { .. }) = &result {
        session.destroy();
    }
    Ok(result?)
}
