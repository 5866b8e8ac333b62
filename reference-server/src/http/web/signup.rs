use crate::http::client::Client;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::{MessagePage, Refusal, redirect, render, render_refused};
use crate::http::AppState;
use crate::http::session::{Session, SignUpProgress};
use crate::service::{Reason, ServiceError};
use crate::store::LinkPurpose;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-up", get(email_form).post(submit_email))
        .route("/sign-up/check-email", get(check_email))
        .route("/sign-up/resend", axum::routing::post(resend))
        .route("/sign-up/confirm", get(confirm_form).post(confirm))
        .route("/sign-up/password", get(password_form).post(submit_password))
}

#[derive(Template)]
#[template(path = "sign_up_email.html")]
struct EmailPage<'a> {
    csrf: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

async fn email_form(session: Session) -> Response {
    render(StatusCode::OK, EmailPage { csrf: &session.csrf_token(), email: "", error: None })
}

#[derive(Deserialize)]
struct EmailForm {
    email: String,
}

async fn submit_email(
    State(app): State<AppState>,
    Client(client): Client,
    session: Session,
    Form(form): Form<EmailForm>,
) -> Response {
    match app.services.start_sign_up(client, &form.email).await {
        Ok(email) => {
            session.update(|s| s.sign_up = Some(SignUpProgress { email, confirmed: false }));
            redirect("/sign-up/check-email")
        }
        Err(error) => {
            let refused = Refusal::from(error);
            render_refused(
                &refused,
                EmailPage { csrf: &session.csrf_token(), email: &form.email, error: Some(&refused.message) },
            )
        }
    }
}

#[derive(Template)]
#[template(path = "check_email.html")]
struct CheckEmailPage<'a> {
    csrf: &'a str,
    email: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

async fn check_email(session: Session) -> Response {
    match session.state().sign_up {
        Some(p) if !p.confirmed => render(
            StatusCode::OK,
            CheckEmailPage { csrf: &session.csrf_token(), email: &p.email, notice: None, error: None },
        ),
        _ => redirect("/sign-up"),
    }
}

async fn resend(State(app): State<AppState>, Client(client): Client, session: Session) -> Response {
    let Some(progress) = session.state().sign_up.filter(|p| !p.confirmed) else {
        return redirect("/sign-up");
    };
    let csrf = session.csrf_token();
    match app.services.resend_confirmation(client, &progress.email).await {
        Ok(()) => render(
            StatusCode::OK,
            CheckEmailPage {
                csrf: &csrf,
                email: &progress.email,
                notice: Some("We sent a new link. Older links no longer work."),
                error: None,
            },
        ),
        Err(error) => {
            let refused = Refusal::from(error);
            render_refused(
                &refused,
                CheckEmailPage {
                    csrf: &csrf,
                    email: &progress.email,
                    notice: None,
                    error: Some(&refused.message),
                },
            )
        }
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// Opening the emailed link checks it; pressing the button uses it.
async fn confirm_form(
    State(app): State<AppState>,
    session: Session,
    Query(query): Query<TokenQuery>,
) -> Response {
    match app.services.usable_link(LinkPurpose::ConfirmSignUp, &query.token).await {
        Ok(_) => super::confirm_link_page(
            &session,
            "confirm_email",
            "Confirm your email address",
            "/sign-up/confirm",
            &query.token,
        ),
        Err(error) => super::link_refused(error, ("/sign-up", "Start again")),
    }
}

#[derive(Deserialize)]
struct TokenForm {
    token: String,
}

async fn confirm(State(app): State<AppState>, session: Session, Form(form): Form<TokenForm>) -> Response {
    match app.services.confirm_sign_up(&form.token).await {
        Ok(email) => {
            session.update(|s| s.sign_up = Some(SignUpProgress { email, confirmed: true }));
            redirect("/sign-up/password")
        }
        Err(error) => super::link_refused(error, ("/sign-up", "Start again")),
    }
}

#[derive(Template)]
#[template(path = "sign_up_password.html")]
struct PasswordPage<'a> {
    csrf: &'a str,
    email: &'a str,
    min_length: usize,
    error: Option<&'a str>,
}

async fn password_form(State(app): State<AppState>, session: Session) -> Response {
    match session.state().sign_up {
        Some(p) if p.confirmed => render(
            StatusCode::OK,
            PasswordPage {
                csrf: &session.csrf_token(),
                email: &p.email,
                min_length: app.services.policy.password_min_length,
                error: None,
            },
        ),
        // A refusal like any other: the page says why, and carries it as its outcome.
        _ => render_refused(
            &Refusal {
                status: StatusCode::FORBIDDEN,
                ..Refusal::from(ServiceError::Rejected(Reason::EmailNotConfirmed))
            },
            MessagePage {
                name: "",
                title: "Confirm your email first",
                message: &Reason::EmailNotConfirmed.message(),
                link: Some(("/sign-up", "Start again")),
            },
        ),
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    password: String,
}

async fn submit_password(
    State(app): State<AppState>,
    session: Session,
    Form(form): Form<PasswordForm>,
) -> Response {
    let Some(progress) = session.state().sign_up.filter(|p| p.confirmed) else {
        return redirect("/sign-up");
    };
    match app.services.create_account(&progress.email, &form.password).await {
        Ok(account) => {
            session.update(|s| {
                s.sign_up = None;
                s.new_account = Some(account);
            });
            session.rotate();
            redirect("/sign-up/phone")
        }
        Err(error) => {
            let refused = Refusal::from(error);
            let min_length = app.services.policy.password_min_length;
            render_refused(
                &refused,
                PasswordPage {
                    csrf: &session.csrf_token(),
                    email: &progress.email,
                    min_length,
                    error: Some(&refused.message),
                },
            )
        }
    }
}
