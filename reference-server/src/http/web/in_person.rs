//! Verifying in person at a Post Office (IV-2), as pages: after agreeing, the person searches
//! participating Post Offices by ZIP code, chooses one, and enters the details on their ID;
//! the SSN and password pages are those of online verification (`verify`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::verify::out_of_order;
use super::{Field, Page, PageForm, page, page_with_error, redirect};
use crate::http::AppState;
use crate::http::session::Session;
use crate::http::signed_in::{Pages, SignedIn};
use crate::proofing::PostOffice;
use crate::service::Reason;
use crate::service::in_person::IdDetails;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/verify/in-person", get(search_page).post(search))
        .route("/verify/in-person/post-office", axum::routing::post(choose))
        .route("/verify/in-person/details", get(details_page).post(details))
}

fn search_form(csrf: String) -> Page<'static> {
    Page {
        name: "verify_in_person",
        title: "Verify your identity at a Post Office",
        intro: vec![
            "Bring your driver's license or state ID to a participating Post Office. Find one near you first."
                .into(),
        ],
        csrf,
        form: Some(PageForm {
            action: "/verify/in-person",
            fields: vec![Field::input("zip", "ZIP code", "text", "postal-code").hint("For example, 22150")],
            hidden: vec![],
            submit: "Search",
        }),
        links: vec![("/verify/documents", "Upload photos of your ID instead")],
        ..Page::default()
    }
}

fn consented(session: &Session) -> bool {
    session.vault().verification.is_some_and(|v| v.consented)
}

async fn search_page(session: Session, _signed_in: SignedIn<Pages>) -> Response {
    if !consented(&session) {
        return out_of_order(Reason::VerificationConsentRequired);
    }
    page(StatusCode::OK, search_form(session.csrf_token()))
}

#[derive(Deserialize)]
struct ZipForm {
    zip: String,
}

/// A Post Office as one line: its name and address.
fn describe(office: &PostOffice) -> String {
    format!("{}, {}, {} {} {}", office.name, office.street_address, office.city, office.state, office.zip)
}

async fn search(
    State(app): State<AppState>,
    session: Session,
    _signed_in: SignedIn<Pages>,
    Form(form): Form<ZipForm>,
) -> Response {
    let mut progress = session.vault().verification.unwrap_or_default();
    let result = app.services.find_post_offices(&mut progress, &form.zip).await;
    session.update_vault(|v| v.verification = Some(progress));
    let offices = match result {
        Ok(offices) => offices,
        Err(error) => return page_with_error(&session, error, search_form(session.csrf_token())),
    };
    let values: Vec<String> = (0..offices.len()).map(|i| i.to_string()).collect();
    let labels: Vec<String> = offices.iter().map(describe).collect();
    let hours: Vec<String> = offices.iter().map(|o| format!("{}: {}", o.name, o.hours.join("; "))).collect();
    let mut choose = Field::input("post_office", "Choose a Post Office", "radio", "off");
    choose.options = values.iter().map(String::as_str).zip(labels.iter().map(String::as_str)).collect();
    page(
        StatusCode::OK,
        Page {
            name: "verify_post_offices",
            title: "Choose a Post Office",
            intro: hours,
            csrf: session.csrf_token(),
            form: Some(PageForm {
                action: "/verify/in-person/post-office",
                fields: vec![choose],
                hidden: vec![],
                submit: "Choose this Post Office",
            }),
            links: vec![("/verify/in-person", "Search another ZIP code")],
            ..Page::default()
        },
    )
}

#[derive(Deserialize)]
struct ChoiceForm {
    post_office: String,
}

async fn choose(
    State(app): State<AppState>,
    session: Session,
    _signed_in: SignedIn<Pages>,
    Form(form): Form<ChoiceForm>,
) -> Response {
    let mut progress = session.vault().verification.unwrap_or_default();
    let index = form.post_office.trim().parse().unwrap_or(usize::MAX);
    let result = app.services.choose_post_office(&mut progress, index);
    session.update_vault(|v| v.verification = Some(progress));
    match result {
        Ok(_) => redirect("/verify/in-person/details"),
        Err(error) => page_with_error(&session, error, search_form(session.csrf_token())),
    }
}

fn details_form(csrf: String) -> Page<'static> {
    Page {
        name: "verify_id_details",
        title: "Enter the details on your ID",
        intro: vec!["Enter them exactly as they are on the ID you will bring to the Post Office.".into()],
        csrf,
        form: Some(PageForm {
            action: "/verify/in-person/details",
            fields: vec![
                Field::input("given_name", "First name", "text", "given-name"),
                Field::input("family_name", "Last name", "text", "family-name"),
                Field::input("birthdate", "Date of birth", "text", "bday").hint("For example, 1985-07-04"),
                Field::input("street_address", "Street address", "text", "street-address"),
                Field::input("city", "City", "text", "address-level2"),
                Field::input("state", "State", "text", "address-level1").hint("Two letters, for example VA"),
                Field::input("zip", "ZIP code", "text", "postal-code"),
            ],
            hidden: vec![],
            submit: "Continue",
        }),
        ..Page::default()
    }
}

async fn details_page(session: Session, _signed_in: SignedIn<Pages>) -> Response {
    if session.vault().verification.and_then(|v| v.post_office).is_none() {
        return out_of_order(Reason::VerificationStepOutOfOrder);
    }
    page(StatusCode::OK, details_form(session.csrf_token()))
}

#[derive(Deserialize)]
struct DetailsForm {
    given_name: String,
    family_name: String,
    birthdate: String,
    street_address: String,
    city: String,
    state: String,
    zip: String,
}

async fn details(
    State(app): State<AppState>,
    session: Session,
    _signed_in: SignedIn<Pages>,
    Form(form): Form<DetailsForm>,
) -> Response {
    let mut progress = session.vault().verification.unwrap_or_default();
    let details = IdDetails {
        given_name: form.given_name,
        family_name: form.family_name,
        birthdate: form.birthdate,
        street_address: form.street_address,
        city: form.city,
        state: form.state,
        zip: form.zip,
    };
    let result = app.services.enter_id_details(&mut progress, details);
    session.update_vault(|v| v.verification = Some(progress));
    match result {
        Ok(_) => redirect("/verify/ssn"),
        Err(error) => page_with_error(&session, error, details_form(session.csrf_token())),
    }
}
