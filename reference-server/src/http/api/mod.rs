//! The JSON API: every flow of the web pages, over the same services and the same session.

mod signup;

use axum::Router;
use axum::extract::FromRequest;

use super::AppState;
use super::error::ApiError;

pub fn routes() -> Router<AppState> {
    signup::routes()
}

/// A JSON body whose problems are reported as `invalid_request` with a reason.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);
