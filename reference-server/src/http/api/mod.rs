//! The JSON API: every flow of the web pages, over the same services and the same session.

mod account;
mod agency;
pub mod answer;
pub mod openapi;
mod recovery;
mod settings;
mod signin;
mod signup;
mod verification;

use axum::Router;
use axum::extract::FromRequest;

use super::AppState;
use super::error::ApiError;

pub fn routes(app: &AppState) -> Router<AppState> {
    signup::routes()
        .route("/openapi.json", axum::routing::get(openapi::document))
        .merge(signin::routes())
        .merge(account::routes())
        .merge(recovery::routes())
        .merge(settings::routes())
        .merge(agency::routes())
        .merge(verification::routes(app))
}

/// A JSON object body whose problems are reported as `invalid_request` with a reason. Only an
/// object is taken: serde would otherwise read a struct from an array of its fields.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(request, state).await?;
        let invalid = |message: String| ApiError::Invalid {
            status: axum::http::StatusCode::BAD_REQUEST,
            reason: "invalid_fields",
            message,
        };
        if !value.is_object() {
            return Err(invalid("The body must be a JSON object.".into()));
        }
        serde_json::from_value(value)
            .map(ApiJson)
            .map_err(|e| invalid(format!("The body's fields are not right: {e}.")))
    }
}

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
