//! Sign-in pages: email and password, the choice of second factor, and each factor.

use crate::domain::AccountId;
use crate::http::client::Client;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::phone::{code_page, show_personal_key};
use super::{Button, Field, Page, PageForm, page, page_with_error, redirect};
use crate::http::AppState;
use crate::http::session::Session;
use crate::http::signed_in::{Authenticating, Pages};
use crate::service::ServiceResult;
use crate::service::mfa::Delivery;
use crate::store::{Account, CodePurpose};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-in/choose", get(choose))
        .route("/sign-in/code/send", post(send_code))
        .route("/sign-in/code", get(code_form).post(enter_code))
        .route("/sign-in/personal-key", get(key_form).post(enter_key))
        .route("/sign-in/authenticator", get(app_form).post(enter_app_code))
        .route("/sign-out", post(sign_out))
}

fn sign_in_page<'a>(csrf: String, email: &str) -> Page<'a> {
    Page {
        name: "sign_in",
        title: "Sign in",
        csrf,
        form: Some(PageForm {
            action: "/sign-in",
            fields: vec![
                Field::input("email", "Email address", "email", "username").value(email),
                Field::input("password", "Password", "password", "current-password"),
            ],
            hidden: vec![],
            submit: "Sign in",
        }),
        links: vec![("/password/forgot", "Forgot your password?"), ("/sign-up", "Create an account")],
        ..Page::default()
    }
}

async fn sign_in_form(session: Session) -> Response {
    let mut p = sign_in_page(session.csrf_token(), "");
    if session.state().agency_request.is_some() {
        p.intro.push(
            "An agency sent you here. Sign in, or create an account, and we will send you back.".into(),
        );
    }
    page(StatusCode::OK, p)
}

#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
}

async fn sign_in(
    State(app): State<AppState>,
    Client(client): Client,
    session: Session,
    Form(form): Form<Credentials>,
) -> Response {
    let checked = match app.services.verify_password(client, &form.email, &form.password).await {
        Ok(account) => {
            crate::http::identity::unlock(&app, &session, account.id, &form.password).await.map(|()| account)
        }
        Err(error) => Err(error),
    };
    match checked {
        Ok(account) => {
            session.update(|s| {
                s.restart();
                if account.completed {
                    s.authenticating = Some(account.id);
                } else {
                    s.new_account = Some(account.id);
                }
            });
            session.rotate();
            redirect(if account.completed { "/sign-in/choose" } else { "/sign-up/phone" })
        }
        Err(error) => page_with_error(&session, error, sign_in_page(session.csrf_token(), &form.email)),
    }
}

async fn choose_page<'a>(app: &AppState, session: &Session, account_id: AccountId) -> Page<'a> {
    let mut links = vec![("/sign-in/personal-key", "Use your personal key instead")];
    if matches!(app.services.store.authenticator(account_id).await, Ok(Some(_))) {
        links.insert(0, ("/sign-in/authenticator", "Use your authenticator app"));
    }
    Page {
        name: "choose_factor",
        title: "How do you want to get your security code?",
        intro: vec!["Choose a text message or a phone call to the number on your account.".into()],
        csrf: session.csrf_token(),
        buttons: vec![
            Button {
                action: "/sign-in/code/send",
                submit: "Text me a code",
                hidden: vec![("delivery", "sms".into())],
            },
            Button {
                action: "/sign-in/code/send",
                submit: "Call me with a code",
                hidden: vec![("delivery", "voice".into())],
            },
        ],
        links,
        ..Page::default()
    }
}

async fn choose(
    State(app): State<AppState>,
    session: Session,
    Authenticating(account_id, _): Authenticating<Pages>,
) -> Response {
    page(StatusCode::OK, choose_page(&app, &session, account_id).await)
}

#[derive(Deserialize)]
pub struct SendForm {
    delivery: Delivery,
}

async fn send_code(
    State(app): State<AppState>,
    session: Session,
    Authenticating(account_id, _): Authenticating<Pages>,
    Form(form): Form<SendForm>,
) -> Response {
    let phone = match app.services.store.account(account_id).await {
        Ok(Some(Account { phone: Some(phone), .. })) => phone,
        _ => return redirect("/sign-in"),
    };
    match app.services.send_code(account_id, CodePurpose::SignIn, &phone, form.delivery).await {
        Ok(()) => redirect("/sign-in/code"),
        Err(error) => {
            let p = choose_page(&app, &session, account_id).await;
            page_with_error(&session, error, p)
        }
    }
}

fn sign_in_code_page<'a>(csrf: String) -> Page<'a> {
    let mut p = code_page(
        csrf,
        "/sign-in/code",
        "/sign-in/code/send",
        "We sent a code to the phone on your account.".into(),
    );
    p.name = "sign_in_code";
    p.links = vec![("/sign-in/personal-key", "Use your personal key instead")];
    p
}

async fn code_form(session: Session, _: Authenticating<Pages>) -> Response {
    page(StatusCode::OK, sign_in_code_page(session.csrf_token()))
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

/// Completes sign-in after a second factor; shows a new personal key when one is due.
async fn finish(
    app: &AppState,
    session: &Session,
    account_id: AccountId,
    new_key: Option<String>,
) -> Response {
    session.sign_in(account_id, app.services.clock.now());
    let due = match new_key {
        Some(key) => Some(key),
        None => app.services.reissue_personal_key_if_due(account_id).await.ok().flatten(),
    };
    match due {
        Some(key) => show_personal_key(session, &key),
        None => super::after_sign_in(session),
    }
}

async fn second_factor(
    app: &AppState,
    session: &Session,
    result: ServiceResult<Option<String>>,
    account_id: AccountId,
    retry: Page<'_>,
) -> Response {
    match result {
        Ok(new_key) => finish(app, session, account_id, new_key).await,
        Err(error) => page_with_error(session, error, retry),
    }
}

async fn enter_code(
    State(app): State<AppState>,
    session: Session,
    Authenticating(account_id, _): Authenticating<Pages>,
    Form(form): Form<CodeForm>,
) -> Response {
    let result = app.services.check_code(account_id, CodePurpose::SignIn, &form.code).await.map(|_| None);
    second_factor(&app, &session, result, account_id, sign_in_code_page(session.csrf_token())).await
}

fn key_page<'a>(csrf: String) -> Page<'a> {
    Page {
        name: "sign_in_personal_key",
        title: "Enter your personal key",
        intro: vec!["Your personal key is the 16 characters you saved when you created your account. Once you sign in with it, we give you a new one.".into()],
        csrf,
        form: Some(PageForm {
            action: "/sign-in/personal-key",
            fields: vec![Field::input("personal_key", "Personal key", "text", "off").hint("Capitals, spaces and dashes do not matter")],
            hidden: vec![],
            submit: "Submit",
        }),
        links: vec![("/sign-in/choose", "Get a security code instead")],
        ..Page::default()
    }
}

async fn key_form(session: Session, _: Authenticating<Pages>) -> Response {
    page(StatusCode::OK, key_page(session.csrf_token()))
}

#[derive(Deserialize)]
pub struct KeyForm {
    personal_key: String,
}

async fn enter_key(
    State(app): State<AppState>,
    session: Session,
    Authenticating(account_id, _): Authenticating<Pages>,
    Form(form): Form<KeyForm>,
) -> Response {
    let result = app.services.use_personal_key(account_id, &form.personal_key).await.map(Some);
    second_factor(&app, &session, result, account_id, key_page(session.csrf_token())).await
}

fn app_page<'a>(csrf: String) -> Page<'a> {
    Page {
        name: "sign_in_authenticator",
        title: "Enter the code from your authenticator app",
        csrf,
        form: Some(PageForm {
            action: "/sign-in/authenticator",
            fields: vec![Field::code("code", "Code from your app")],
            hidden: vec![],
            submit: "Submit",
        }),
        links: vec![("/sign-in/choose", "Get a security code by text or call instead")],
        ..Page::default()
    }
}

async fn app_form(session: Session, _: Authenticating<Pages>) -> Response {
    page(StatusCode::OK, app_page(session.csrf_token()))
}

async fn enter_app_code(
    State(app): State<AppState>,
    session: Session,
    Authenticating(account_id, _): Authenticating<Pages>,
    Form(form): Form<CodeForm>,
) -> Response {
    let result = app.services.check_authenticator(account_id, &form.code).await.map(|()| None);
    second_factor(&app, &session, result, account_id, app_page(session.csrf_token())).await
}

async fn sign_out(session: Session) -> Response {
    session.destroy();
    redirect("/sign-in")
}
