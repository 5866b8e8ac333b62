//! Sign-up pages after the password: the phone, its code, and the personal key.

use crate::domain::Phone;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::{Button, Field, Page, PageForm, page, page_with_error, redirect, render};
use crate::http::AppState;
use crate::http::session::Session;
use crate::http::signed_in::{NewAccount, Pages};
use crate::service::mfa::Delivery;
use crate::service::{Reason, ServiceError};
use crate::store::CodePurpose;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-up/phone", get(phone_form).post(add_phone))
        .route("/sign-up/phone/code", get(code_form).post(confirm))
        .route("/sign-up/phone/resend", post(resend))
        .route("/personal-key/saved", post(saved))
}

fn phone_page<'a>(csrf: String) -> Page<'a> {
    Page {
        name: "add_phone",
        title: "Add your phone number",
        intro: vec![
            "We send a security code to this phone each time you sign in. A landline works: choose a phone call.".into(),
        ],
        csrf,
        form: Some(PageForm {
            action: "/sign-up/phone",
            fields: vec![
                Field::input("phone", "Phone number", "tel", "tel").hint("For example 202-555-0100, or +44 20 7183 8750"),
                Field::delivery(),
            ],
            hidden: vec![],
            submit: "Send code",
        }),
        ..Page::default()
    }
}

async fn phone_form(session: Session, _: NewAccount<Pages>) -> Response {
    page(StatusCode::OK, phone_page(session.csrf_token()))
}

#[derive(Deserialize)]
pub struct PhoneForm {
    phone: String,
    delivery: Delivery,
}

async fn add_phone(
    State(app): State<AppState>,
    session: Session,
    NewAccount(account_id, _): NewAccount<Pages>,
    Form(form): Form<PhoneForm>,
) -> Response {
    let result = match Phone::parse(&form.phone) {
        Ok(number) => app
            .services
            .send_code(account_id, CodePurpose::ConfirmPhone, &number, form.delivery)
            .await
            .map(|()| number),
        Err(_) => Err(ServiceError::Rejected(Reason::InvalidPhone)),
    };
    match result {
        Ok(number) => {
            session.update(|s| s.pending_phone = Some(number));
            redirect("/sign-up/phone/code")
        }
        Err(error) => {
            let mut p = phone_page(session.csrf_token());
            if let Some(f) = p.form.as_mut() {
                f.fields[0].value = form.phone.clone();
            }
            page_with_error(&session, error, p)
        }
    }
}

/// The code-entry page, with buttons for a new code by text or call.
pub fn code_page<'a>(csrf: String, action: &'a str, resend: &'a str, intro: String) -> Page<'a> {
    Page {
        title: "Enter your security code",
        intro: vec![intro, "The code works once, for 5 minutes.".into()],
        csrf,
        form: Some(PageForm {
            action,
            fields: vec![Field::code("code", "Security code")],
            hidden: vec![],
            submit: "Submit",
        }),
        buttons: vec![
            Button { action: resend, submit: "Text me a new code", hidden: vec![("delivery", "sms".into())] },
            Button {
                action: resend,
                submit: "Call me with a new code",
                hidden: vec![("delivery", "voice".into())],
            },
        ],
        ..Page::default()
    }
}

fn sign_up_code_page<'a>(csrf: String, number: &str) -> Page<'a> {
    let mut p = code_page(
        csrf,
        "/sign-up/phone/code",
        "/sign-up/phone/resend",
        format!("We sent a code to {number}."),
    );
    p.name = "phone_code";
    p.links = vec![("/sign-up/phone", "Entered the wrong number? Enter it again")];
    p
}

async fn code_form(session: Session) -> Response {
    let state = session.state();
    match (state.new_account, state.pending_phone) {
        (Some(_), Some(number)) => page(StatusCode::OK, sign_up_code_page(session.csrf_token(), &number)),
        _ => redirect("/sign-up/phone"),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

#[derive(Template)]
#[template(path = "personal_key.html")]
pub struct PersonalKeyPage {
    pub csrf: String,
    pub groups: Vec<String>,
}

/// Shows a personal key, this once (PK-1). Not cached: the page carries a secret.
pub fn show_personal_key(session: &Session, key: &str) -> Response {
    let groups = key.split('-').map(str::to_owned).collect();
    render(StatusCode::OK, PersonalKeyPage { csrf: session.csrf_token(), groups })
}

async fn confirm(State(app): State<AppState>, session: Session, Form(form): Form<CodeForm>) -> Response {
    let state = session.state();
    let (Some(account_id), Some(number)) = (state.new_account, state.pending_phone) else {
        return redirect("/sign-up/phone");
    };
    match app.services.confirm_phone(account_id, &form.code).await {
        Ok(key) => {
            session.sign_in(account_id, app.services.clock.now());
            show_personal_key(&session, &key)
        }
        Err(error) => page_with_error(&session, error, sign_up_code_page(session.csrf_token(), &number)),
    }
}

#[derive(Deserialize)]
pub struct ResendForm {
    delivery: Delivery,
}

async fn resend(State(app): State<AppState>, session: Session, Form(form): Form<ResendForm>) -> Response {
    let state = session.state();
    let (Some(account_id), Some(number)) = (state.new_account, state.pending_phone) else {
        return redirect("/sign-up/phone");
    };
    let mut p = sign_up_code_page(session.csrf_token(), &number);
    match app.services.send_code(account_id, CodePurpose::ConfirmPhone, &number, form.delivery).await {
        Ok(()) => {
            p.notice = Some("We sent a new code. Earlier codes no longer work.".into());
            page(StatusCode::OK, p)
        }
        Err(error) => page_with_error(&session, error, p),
    }
}

#[derive(Deserialize)]
pub struct SavedForm {
    saved: Option<String>,
}

async fn saved(session: Session, Form(form): Form<SavedForm>) -> Response {
    if form.saved.is_none() {
        let p = Page {
            title: "Please confirm you saved your key",
            intro: vec!["Tick the box to confirm you saved your personal key. For your security we cannot show it again.".into()],
            links: vec![("/account", "Continue to your account")],
            ..Page::default()
        };
        return page(StatusCode::UNPROCESSABLE_ENTITY, p);
    }
    super::after_sign_in(&session)
}
