//! Server-rendered pages. They work without JavaScript; every form carries a CSRF token.

mod signup;

use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::session::Session;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home)).route("/static/site.css", get(css)).merge(signup::routes())
}

/// "14:05 UTC" (or the date too when it is not today's by the same clock).
pub fn clock_time(t: time::OffsetDateTime) -> String {
    format!("{:02}:{:02} UTC on {} {} {}", t.hour(), t.minute(), t.day(), t.month(), t.year())
}

pub fn render(status: StatusCode, template: impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
        }
    }
}

pub fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub link: Option<(&'a str, &'a str)>,
}

/// The answer to a form whose CSRF token does not match the session's.
pub fn forged() -> Response {
    render(
        StatusCode::FORBIDDEN,
        MessagePage {
            title: "Please try again",
            message: "This form has expired or did not come from this site. Go back, reload the page and submit it again.",
            link: Some(("/", "Start again")),
        },
    )
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home;

async fn home(_session: Session) -> Response {
    render(StatusCode::OK, Home)
}

async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../../static/site.css"),
    )
        .into_response()
}
