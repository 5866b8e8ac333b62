//! Reporting that someone is misusing an address (SU-7): the link in the notice of a sign-up
//! attempt opens a page (opening it changes nothing, so mail scanners that fetch links report
//! nothing); pressing its button sends the report, acknowledged with a reference.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::{Page, PageForm, link_refused, page, render};
use crate::http::AppState;
use crate::http::session::Session;

pub fn routes() -> Router<AppState> {
    Router::new().route("/report-misuse", get(report_form).post(report))
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
struct TokenForm {
    token: String,
}

#[derive(Template)]
#[template(path = "misuse_reported.html")]
struct ReportedPage<'a> {
    reference: &'a str,
}

const HOME: (&str, &str) = ("/", "Go to the start page");

async fn report_form(
    State(app): State<AppState>,
    session: Session,
    Query(query): Query<TokenQuery>,
) -> Response {
    match app.services.misuse_report_link(&query.token).await {
        Ok(_) => page(
            StatusCode::OK,
            Page {
                name: "report_misuse",
                title: "Report misuse of your email address",
                intro: vec![
                    "Someone tried to create an account with your email address. If it was not you, tell us \
                     here. Your account stays as it is."
                        .into(),
                ],
                csrf: session.csrf_token(),
                form: Some(PageForm {
                    action: "/report-misuse",
                    fields: vec![],
                    hidden: vec![("token", query.token)],
                    submit: "Report misuse",
                }),
                ..Page::default()
            },
        ),
        Err(error) => link_refused(error, HOME),
    }
}

async fn report(State(app): State<AppState>, Form(form): Form<TokenForm>) -> Response {
    match app.services.report_misuse(&form.token).await {
        Ok(reference) => render(StatusCode::OK, ReportedPage { reference: &reference }),
        Err(error) => link_refused(error, HOME),
    }
}
