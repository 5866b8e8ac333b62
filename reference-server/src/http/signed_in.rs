//! Who a request acts for, as extractors: a handler names the stage of sign-in it needs in its
//! signature, and a request without it is refused before the handler runs — a page by sending
//! the person to sign in, the JSON API with `signed_out` (`password_not_set` while signing up).

use crate::domain::AccountId;
use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::refusal::Refusal;
use super::session::Session;
use crate::service::{Reason, ServiceError};

/// How a request without the stage is answered.
pub trait Refuse: Send + Sync + 'static {
    fn refuse(stage: Stage) -> Response;
}

/// The stages a session goes through.
#[derive(Clone, Copy, Debug)]
pub enum Stage {
    /// The password of a new account is set; its phone is not confirmed yet.
    NewAccount,
    /// The password was right; the second factor is still to come.
    Authenticating,
    /// Fully signed in.
    SignedIn,
}

/// Pages: to the sign-in page.
pub struct Pages;

/// The JSON API: its refusal.
pub struct Api;

impl Refuse for Pages {
    fn refuse(_: Stage) -> Response {
        (StatusCode::SEE_OTHER, [(header::LOCATION, "/sign-in")]).into_response()
    }
}

impl Refuse for Api {
    fn refuse(stage: Stage) -> Response {
        let error = match stage {
            Stage::NewAccount => ServiceError::Rejected(Reason::PasswordNotSet),
            Stage::Authenticating | Stage::SignedIn => ServiceError::SignedOut { locked_until: None },
        };
        Refusal::from(error).into_api_response()
    }
}

/// The session's account at `stage`, if it has reached it.
fn account(parts: &Parts, stage: Stage) -> Option<AccountId> {
    let state = parts.extensions.get::<Session>().map(Session::state)?;
    match stage {
        Stage::NewAccount => state.new_account,
        Stage::Authenticating => state.authenticating,
        Stage::SignedIn => state.account_id,
    }
}

macro_rules! stage_extractor {
    ($name:ident, $stage:expr, $doc:literal) => {
        #[doc = $doc]
        pub struct $name<R>(pub AccountId, pub PhantomData<R>);

        impl<S: Send + Sync, R: Refuse> FromRequestParts<S> for $name<R> {
            type Rejection = Response;

            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
                account(parts, $stage).map(|id| Self(id, PhantomData)).ok_or_else(|| R::refuse($stage))
            }
        }
    };
}

stage_extractor!(SignedIn, Stage::SignedIn, "The signed-in account.");
stage_extractor!(
    Authenticating,
    Stage::Authenticating,
    "The account whose password was right, before its second factor."
);
stage_extractor!(NewAccount, Stage::NewAccount, "The account being created, after its password.");
