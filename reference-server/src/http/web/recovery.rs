//! Forgotten password pages, and the link that confirms a new email address.

use crate::http::client::Client;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::{Field, MessagePage, Page, PageForm, page, page_with_error, render};
use crate::http::AppState;
use crate::http::session::Session;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/password/forgot", get(forgot_form).post(forgot))
        .route("/password/reset", get(reset_form).post(reset))
        .route("/account/email/confirm", get(confirm_email_form).post(confirm_email))
}

fn forgot_page<'a>(csrf: String) -> Page<'a> {
    Page {
        name: "forgot_password",
        title: "Forgot your password?",
        intro: vec!["Enter the email address of your account. If we have it, we will email you a link to choose a new password.".into()],
        csrf,
        form: Some(PageForm {
            action: "/password/forgot",
            fields: vec![Field::input("email", "Email address", "email", "username")],
            hidden: vec![],
            submit: "Send reset link",
        }),
        links: vec![("/sign-in", "Back to sign in")],
        ..Page::default()
    }
}

async fn forgot_form(session: Session) -> Response {
    page(StatusCode::OK, forgot_page(session.csrf_token()))
}

#[derive(Deserialize)]
pub struct ForgotForm {
    email: String,
}

async fn forgot(
    State(app): State<AppState>,
    Client(client): Client,
    session: Session,
    Form(form): Form<ForgotForm>,
) -> Response {
    match app.services.request_password_reset(client, &form.email).await {
        // The same words whether or not the address has an account (PR-2).
        Ok(()) => render(
            StatusCode::OK,
            MessagePage {
                name: "reset_sent",
                title: "Check your email",
                message: "If we have an account for that address, we sent it a link to reset the password. The link works for 30 minutes.",
                link: Some(("/sign-in", "Back to sign in")),
            },
        ),
        Err(error) => page_with_error(&session, error, forgot_page(session.csrf_token())),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn reset_page<'a>(csrf: String, token: &str) -> Page<'a> {
    Page {
        name: "reset_password",
        title: "Choose a new password",
        intro: vec![
            "At least 8 characters. After this you sign in with your new password and your phone.".into(),
        ],
        csrf,
        form: Some(PageForm {
            action: "/password/reset",
            fields: vec![Field::new_password("password", "New password")],
            hidden: vec![("token", token.to_owned())],
            submit: "Change password",
        }),
        ..Page::default()
    }
}

async fn reset_form(
    State(app): State<AppState>,
    session: Session,
    Query(query): Query<TokenQuery>,
) -> Response {
    // Check the link before asking for a password, without using it up.
    match app.services.usable_link(crate::store::LinkPurpose::ResetPassword, &query.token).await {
        Ok(_) => page(StatusCode::OK, reset_page(session.csrf_token(), &query.token)),
        Err(error) => super::link_refused(error, ("/password/forgot", "Ask for a new link")),
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    token: String,
    password: String,
}

async fn reset(State(app): State<AppState>, session: Session, Form(form): Form<ResetForm>) -> Response {
    match app.services.reset_password(&form.token, &form.password).await {
        Ok(()) => render(
            StatusCode::OK,
            MessagePage {
                name: "password_reset",
                title: "Your password was changed",
                message: "Sign in with your new password. You will also need your phone, and we will give you a new personal key.",
                link: Some(("/sign-in", "Sign in")),
            },
        ),
        Err(error) => page_with_error(&session, error, reset_page(session.csrf_token(), &form.token)),
    }
}

/// Opening the link sent to a new address checks it; pressing the button uses it.
async fn confirm_email_form(
    State(app): State<AppState>,
    session: Session,
    Query(query): Query<TokenQuery>,
) -> Response {
    match app.services.usable_link(crate::store::LinkPurpose::ConfirmNewEmail, &query.token).await {
        Ok(_) => super::confirm_link_page(
            &session,
            "confirm_new_email",
            "Confirm your new email address",
            "/account/email/confirm",
            &query.token,
        ),
        Err(error) => super::link_refused(error, ("/account/email", "Try again")),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    token: String,
}

async fn confirm_email(State(app): State<AppState>, Form(form): Form<TokenForm>) -> Response {
    match app.services.confirm_email_change(&form.token).await {
        Ok(email) => render(
            StatusCode::OK,
            MessagePage {
                name: "email_changed",
                title: "Your email address was changed",
                message: &format!("From now on, sign in with {email}."),
                link: Some(("/sign-in", "Sign in")),
            },
        ),
        Err(error) => super::link_refused(error, ("/account/email", "Try again")),
    }
}
