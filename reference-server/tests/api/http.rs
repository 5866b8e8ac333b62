//! The server over real HTTP, with the fakes for delivery: what the conformance scenarios
//! cannot see from outside (storage, restarts) and how bad input is answered.

use fakes::Fakes;
use reference_server::{Config, RunningServer};
use serde_json::{Value, json};

use super::helpers::{self, spawn_app, start};

fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn post(http: &reqwest::Client, server: &RunningServer, path: &str, body: Value) -> (u16, Value) {
    let response = http.post(format!("{}/api/v1{path}", server.base_url)).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

/// Signs up `email` with `password` through the API; returns the client holding the session.
async fn sign_up(server: &RunningServer, fakes: &Fakes, email: &str, password: &str) -> reqwest::Client {
    let http = client();
    sign_up_with(&http, server, fakes, email, password).await;
    http
}

async fn sign_up_with(
    http: &reqwest::Client,
    server: &RunningServer,
    fakes: &Fakes,
    email: &str,
    password: &str,
) {
    let http = http.clone();
    assert_eq!(post(&http, server, "/sign-up", json!({ "email": email })).await.0, 200);
    let mail = fakes
        .mail
        .wait_for_message(email, std::time::Duration::from_secs(10))
        .await
        .expect("confirmation mail");
    let token = mail.links[0].split("token=").nth(1).unwrap().to_owned();
    assert_eq!(post(&http, server, "/sign-up/confirm", json!({ "token": token })).await.0, 200);
    let (status, body) = post(&http, server, "/sign-up/password", json!({ "password": password })).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn bad_input_gets_a_4xx_with_a_reason_never_a_5xx() {
    let (server, _fakes) = spawn_app(|_| {}).await;
    let http = client();
    let url = |p: &str| format!("{}{p}", server.base_url);
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            http.post(url("/api/v1/sign-up")).header("content-type", "application/json").body("{\"email\":"),
            400,
            "malformed_json",
        ),
        (http.post(url("/api/v1/sign-up")).json(&json!({})), 400, "invalid_fields"),
        (http.post(url("/api/v1/sign-up")).json(&json!({ "email": 7 })), 400, "invalid_fields"),
        (
            http.post(url("/api/v1/sign-up")).json(&json!({ "email": "a@b.test", "extra": 1 })),
            400,
            "invalid_fields",
        ),
        (http.post(url("/api/v1/sign-up")).body("email=a@b.test"), 415, "json_content_type_required"),
        (http.post(url("/api/v1/sign-up")).json(&json!({ "email": "not an address" })), 422, "invalid_email"),
        (
            http.post(url("/api/v1/sign-up/password")).json(&json!({ "password": "long enough" })),
            422,
            "email_not_confirmed",
        ),
        (http.post(url("/api/v1/sign-up/confirm")).json(&json!({ "token": "" })), 422, "link_invalid"),
        (
            http.post(url("/__conformance/clock")).json(&json!({ "advance_seconds": -5 })),
            400,
            "advance_out_of_range",
        ),
    ];
    for (request, status, reason) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["reason"], reason, "{body}");
        assert!(!body["message"].as_str().unwrap_or_default().is_empty(), "{body}");
    }
    let oversized = http
        .post(url("/api/v1/sign-up"))
        .json(&json!({ "email": "x".repeat(100_000) }))
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status().as_u16(), 413);
    let body: Value = oversized.json().await.unwrap();
    assert_eq!(body["reason"], "body_too_large");
    let forged =
        http.post(url("/sign-up")).form(&[("csrf", "forged"), ("email", "a@b.test")]).send().await.unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    // Every form post is checked before any handler runs, including ones with no fields.
    for path in ["/sign-out", "/sign-up/resend", "/password/forgot"] {
        let missing = http.post(url(path)).form(&[("email", "a@b.test")]).send().await.unwrap();
        assert_eq!(missing.status().as_u16(), 403, "{path} without a CSRF token");
    }
    let unknown = http.get(url("/no/such/page")).send().await.unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    let served: Value = http.get(url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(served["paths"]["/api/v1/sign-up"]["post"].is_object(), "the OpenAPI document is served");
}

#[tokio::test]
async fn accounts_survive_a_restart_and_passwords_are_stored_only_as_argon2id() {
    let fakes = helpers::fakes().await;
    let config = Config::for_tests();
    let server = start(config.clone(), &fakes).await;
    let password = "a passphrase to keep";
    sign_up(&server, &fakes, "keep@example.test", password).await;
    server.stop();

    let server = start(config.clone(), &fakes).await;
    let account = server
        .services
        .store
        .account_by_email(&reference_server::domain::Email::parse("keep@example.test").unwrap())
        .await
        .unwrap()
        .expect("account kept");
    assert!(account.password_hash.starts_with("$argon2id$"), "{}", account.password_hash);
    assert!(server.services.passwords.verify(password, &account.password_hash).await.unwrap());

    // Nothing in the database file holds the password in plain text.
    let bytes = std::fs::read(config.database_path()).unwrap();
    let wal = std::fs::read(config.database_path().with_extension("db-wal")).unwrap_or_default();
    for haystack in [&bytes, &wal] {
        assert!(!haystack.windows(password.len()).any(|w| w == password.as_bytes()));
    }

    // The owner of the kept account is told of a new sign-up attempt: the account is known.
    let http = client();
    assert_eq!(post(&http, &server, "/sign-up", json!({ "email": "keep@example.test" })).await.0, 200);
    let mails = fakes.mail.messages("keep@example.test");
    assert!(mails.last().unwrap().subject.contains("tried"), "{:?}", mails.last().unwrap().subject);
}

#[tokio::test]
async fn an_idle_session_ends_after_the_policy_timeout() {
    let (server, _fakes) = spawn_app(|_| {}).await;
    let http = client();
    assert_eq!(post(&http, &server, "/sign-up", json!({ "email": "idle@example.test" })).await.0, 200);
    server.clock.advance(time::Duration::minutes(14)).unwrap();
    assert_eq!(
        post(&http, &server, "/sign-up/resend", json!({})).await.0,
        200,
        "still within the idle timeout"
    );
    server.clock.advance(time::Duration::minutes(15)).unwrap();
    let (status, body) = post(&http, &server, "/sign-up/resend", json!({})).await;
    assert_eq!((status, body["reason"].as_str()), (422, Some("no_sign_up_in_progress")));
}

#[tokio::test]
async fn a_session_cookie_kept_after_sign_out_no_longer_works() {
    use reqwest::cookie::CookieStore;
    let (server, fakes) = spawn_app(|_| {}).await;
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let http = reqwest::Client::builder().cookie_provider(jar.clone()).build().unwrap();
    sign_up_with(&http, &server, &fakes, "cookie@example.test", "a passphrase to keep").await;
    let phone = "+15550777001";
    assert_eq!(
        post(&http, &server, "/sign-up/phone", json!({ "phone": phone, "delivery": "sms" })).await.0,
        200
    );
    let code = fakes.sms.wait_for_code(phone, std::time::Duration::from_secs(10)).await.unwrap();
    assert_eq!(post(&http, &server, "/sign-up/phone/confirm", json!({ "code": code })).await.0, 200);

    // Keep the signed-in session's cookie, as a thief on the same computer would.
    let stolen = jar.cookies(&server.base_url.parse().unwrap()).expect("a session cookie");
    let account = |cookie: reqwest::header::HeaderValue| {
        reqwest::Client::new()
            .get(format!("{}/api/v1/account", server.base_url))
            .header("cookie", cookie)
            .send()
    };
    assert_eq!(
        account(stolen.clone()).await.unwrap().status().as_u16(),
        200,
        "the kept cookie works while signed in"
    );
    assert_eq!(post(&http, &server, "/sign-out", json!({})).await.0, 200);
    assert_eq!(
        account(stolen).await.unwrap().status().as_u16(),
        401,
        "signing out ends the session on the server"
    );
}
