//! The server over real HTTP, with the fakes for delivery: what the conformance scenarios
//! cannot see from outside (storage, restarts) and how bad input is answered.

use fakes::{Fakes, FakesConfig};
use reference_server::{Config, RunningServer};
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};

use super::helpers::{self, spawn_app, start};

fn client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub async fn post(http: &reqwest::Client, server: &RunningServer, path: &str, body: Value) -> (u16, Value) {
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
    let hook_token =
        server.services.config.conformance_hook_token.as_ref().map(|t| t.expose_secret().to_owned()).unwrap();
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
            http.post(url("/__conformance/clock"))
                .bearer_auth(&hook_token)
                .json(&json!({ "advance_seconds": -5 })),
            400,
            "advance_out_of_range",
        ),
        (http.get(url("/__conformance/clock")), 401, "hook_token_required"),
        (http.get(url("/__conformance/clock")).bearer_auth("not the token"), 401, "hook_token_wrong"),
        // A form post to the JSON API gets the API's error, not a page; arrays are not objects.
        (http.post(url("/api/v1/sign-up")).form(&[("email", "a@b.test")]), 415, "json_content_type_required"),
        (http.post(url("/api/v1/sign-up")).json(&json!(["a@b.test"])), 400, "invalid_fields"),
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
        // Whatever content type it claims: a text/plain post skips no check.
        let plain =
            http.post(url(path)).header("content-type", "text/plain").body("csrf=x").send().await.unwrap();
        assert_eq!(plain.status().as_u16(), 403, "{path} as text/plain");
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

    // Nothing in the database holds the password in plain text.
    let bytes = helpers::stored_bytes(&server).await;
    assert!(!bytes.windows(password.len()).any(|w| w == password.as_bytes()));

    // The owner of the kept account is told of a new sign-up attempt: the account is known.
    let http = client();
    let cursor = fakes.mail.inbox().cursor();
    assert_eq!(post(&http, &server, "/sign-up", json!({ "email": "keep@example.test" })).await.0, 200);
    let mail =
        fakes.mail.inbox().wait_after("keep@example.test", cursor, std::time::Duration::from_secs(10)).await;
    let subject = mail.expect("a mail about the attempt").subject;
    assert!(subject.contains("tried"), "{subject:?}");
}

/// Two instances on one data directory are one service: the same keys, one session store,
/// and one manual clock, moved through either instance's hook and kept across a restart.
#[tokio::test]
async fn instances_on_one_data_directory_share_sessions_keys_and_the_clock() {
    let fakes = helpers::fakes().await;
    let config = Config::for_tests();
    let (a, b) = tokio::join!(start(config.clone(), &fakes), start(config.clone(), &fakes));
    let hook = |server: &RunningServer| format!("{}/__conformance/clock", server.base_url);
    let token = config.conformance_hook_token.as_ref().unwrap().expose_secret().to_owned();
    let http = client();
    let clock_at = |server: &RunningServer| {
        let request = http.get(hook(server)).bearer_auth(&token);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap()["unix_ms"].as_i64().unwrap() }
    };
    let moved: Value = http
        .post(hook(&a))
        .bearer_auth(&token)
        .json(&json!({ "advance_seconds": 3600 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clock_at(&b).await, moved["unix_ms"].as_i64().unwrap(), "B shows the time A's hook set");
    assert_eq!(clock_at(&a).await, clock_at(&b).await);

    // A session begun on A is known to B (the store holds it; the cookie names it).
    let password = "one service, two instances";
    let person = sign_up(&a, &fakes, "both@example.test", password).await;
    // (Mid-sign-up: a phone is next, which both instances say.)
    let (on_a, on_b) = (
        post(&person, &a, "/sign-up/phone", json!({ "phone": "+15550000123", "delivery": "sms" })).await,
        post(&person, &b, "/sign-up/phone/resend", json!({ "delivery": "sms" })).await,
    );
    assert_eq!((on_a.0, on_b.0), (200, 200), "B serves the session A began: {on_a:?} {on_b:?}");

    // The same signing keys: both publish one key set.
    let jwks = |server: &RunningServer| {
        let request = http.get(format!("{}/api/openid_connect/certs", server.base_url));
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(jwks(&a).await, jwks(&b).await);

    // A restarted instance carries on from the shared time, never before it.
    let before = clock_at(&b).await;
    a.stop();
    let a = start(config.clone(), &fakes).await;
    assert!(clock_at(&a).await >= before, "the restarted instance went back in time");
    a.stop();
    b.stop();
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

/// Signs up through the API up to a confirmed phone: the client is signed in.
pub async fn signed_in(
    server: &RunningServer,
    fakes: &Fakes,
    email: &str,
    password: &str,
    phone: &str,
) -> reqwest::Client {
    let http = sign_up(server, fakes, email, password).await;
    let (status, body) =
        post(&http, server, "/sign-up/phone", json!({ "phone": phone, "delivery": "sms" })).await;
    assert_eq!(status, 200, "{body}");
    let code = fakes.sms.wait_for_code(phone, std::time::Duration::from_secs(10)).await.expect("a code");
    let (status, body) = post(&http, server, "/sign-up/phone/confirm", json!({ "code": code })).await;
    assert_eq!(status, 200, "{body}");
    http
}

/// ST-2 under concurrency: many wrong current passwords at once on one session spend exactly
/// the limit — the one reaching it ends the session, the rest are refused unchecked — and the
/// right password does not work afterwards.
#[tokio::test]
async fn parallel_wrong_current_passwords_spend_exactly_the_limit() {
    let (server, fakes) = spawn_app(|_| {}).await;
    let password = "the right passphrase";
    let http = signed_in(&server, &fakes, "parallel@example.test", password, "+15550123401").await;
    let attempts = (0..40).map(|i| {
        let (http, server) = (http.clone(), &server);
        async move {
            let body =
                json!({ "current_password": format!("wrong guess {i}"), "new_password": "a new passphrase" });
            post(&http, server, "/account/password", body).await
        }
    });
    let answers = futures::future::join_all(attempts).await;
    let judged = answers.iter().filter(|(_, b)| b["reason"] == "current_password_wrong").count();
    let signed_out = answers.iter().filter(|(_, b)| b["outcome"] == "signed_out").count();
    let limit = reference_server::Policy::default().reauthentication_attempt_limit as usize;
    assert_eq!(judged, limit - 1, "wrong guesses judged before the limit: {answers:?}");
    assert_eq!(signed_out, 40 - judged, "every other guess ends signed out: {answers:?}");
    let body = json!({ "current_password": password, "new_password": "a new passphrase" });
    let (_, after) = post(&http, &server, "/account/password", body).await;
    assert_eq!(after["outcome"], "signed_out", "the session ended: {after}");
}

/// A session deleted while a request on it was running is not brought back when that request
/// saves (SI-4, SI-5): saves update, never insert.
#[tokio::test]
async fn a_deleted_session_is_never_recreated_by_a_save() {
    let (server, _fakes) = spawn_app(|_| {}).await;
    let store = &server.services.store;
    let now = server.services.clock.now();
    store.create_session("digest-of-a-cookie", "{}", now).await.unwrap();
    store.delete_session("digest-of-a-cookie").await.unwrap();
    assert!(!store.save_session("digest-of-a-cookie", "{\"csrf\":\"x\"}", now).await.unwrap());
    assert!(store.session("digest-of-a-cookie").await.unwrap().is_none());
}

/// The token endpoint answers malformed requests as RFC 6749 section 5.2 says (JSON, 400
/// `invalid_request`), and a 401 challenges only in the scheme the client used.
#[tokio::test]
async fn the_token_endpoint_answers_every_error_in_oauth_json() {
    let (server, _fakes) = spawn_app(|_| {}).await;
    let http = client();
    let token = format!("{}/api/openid_connect/token", server.base_url);
    let form = "grant_type=authorization_code&code=a&code=b&redirect_uri=x";
    let cases = [
        (http.post(&token).json(&json!({ "grant_type": "authorization_code" })), 400, "invalid_request"),
        (http.post(&token).body("grant_type=authorization_code"), 400, "invalid_request"),
        (
            http.post(&token).header("content-type", "application/x-www-form-urlencoded").body(form),
            400,
            "invalid_request",
        ),
        (http.post(&token).form(&[("grant_type", "password")]), 400, "unsupported_grant_type"),
        (
            http.post(&token).form(&[("grant_type", "authorization_code"), ("client_id", "nobody")]),
            401,
            "invalid_client",
        ),
    ];
    for (request, status, error) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status);
        assert!(
            response.headers().get("www-authenticate").is_none(),
            "no challenge without an Authorization header"
        );
        let body: Value = response.json().await.expect("a JSON body");
        assert_eq!(body["error"], error, "{body}");
        let description = body["error_description"].as_str().unwrap_or_default();
        assert!(!description.is_empty() && !description.contains("variant"), "{body}");
    }
    let basic = http
        .post(&token)
        .basic_auth("nobody", Some("secret"))
        .form(&[("grant_type", "authorization_code"), ("client_id", "nobody")])
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status().as_u16(), 401);
    let challenge = basic.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(challenge.starts_with("Basic "), "challenged as {challenge:?}");
}

/// Reset requests answer the same for known and unknown addresses whether or not the mail
/// server is up (PR-2): mail leaves through the outbox after the answer, and what was queued
/// while the mail server was down arrives once it is back.
#[tokio::test]
async fn mail_queued_while_the_mail_server_is_down_arrives_when_it_is_back() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let fakes = helpers::fakes().await;
    let mut config = Config::for_tests();
    config.use_fakes(&fakes.settings());
    config.smtp.port = port; // nothing listens there yet
    let server = reference_server::start(config).await.unwrap();
    let known = "known.while.down@example.test";
    server
        .services
        .create_account(&reference_server::domain::Email::parse(known).unwrap(), "a passphrase to keep")
        .await
        .unwrap();
    let http = client();
    let (known_status, known_body) =
        post(&http, &server, "/password/forgot", json!({ "email": known })).await;
    let (unknown_status, unknown_body) =
        post(&http, &server, "/password/forgot", json!({ "email": "nobody.while.down@example.test" })).await;
    assert_eq!((known_status, unknown_status), (200, 200), "{known_body} {unknown_body}");
    assert_eq!(known_body, unknown_body);
    assert_eq!(server.services.store.mail_waiting().await.unwrap(), 1, "the known address's mail waits");

    let mut back = FakesConfig::ephemeral();
    back.mail.addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mail_server = Fakes::start(back).await.unwrap();
    server.services.outbox.notify_one();
    let mail = mail_server.mail.wait_for_message(known, std::time::Duration::from_secs(20)).await;
    assert!(mail.is_some_and(|m| m.links.iter().any(|l| l.contains("/password/reset?token="))));
    assert_eq!(mail_server.mail.messages(known).len(), 1, "sent once");
    assert!(mail_server.mail.messages("nobody.while.down@example.test").is_empty());
}

/// The outbox against the mail fake's fault switches: temporary refusals (451) are retried
/// until the mail goes out, once; a permanent refusal (550) is given up after a few tries and
/// does not hold back the mail after it.
#[tokio::test]
async fn the_outbox_retries_temporary_refusals_and_gives_up_permanent_ones() {
    use fakes::faults::{SmtpFaults, SmtpStage};
    let (server, fakes) = spawn_app(|_| {}).await;
    let http = client();
    let refuse = |fail_next, code| SmtpFaults { fail_next, code, stage: SmtpStage::Rcpt, drop_next: 0 };
    let wait = std::time::Duration::from_secs(20);

    fakes.mail.faults().set_smtp(refuse(2, 451)).unwrap();
    assert_eq!(post(&http, &server, "/sign-up", json!({ "email": "later@example.test" })).await.0, 200);
    assert!(fakes.mail.wait_for_message("later@example.test", wait).await.is_some(), "sent on the third try");
    assert_eq!(fakes.mail.messages("later@example.test").len(), 1, "sent once");
    assert_eq!(fakes.mail.faults().snapshot().0.fail_next, 0, "both refusals were met");

    fakes.mail.faults().set_smtp(refuse(4, 550)).unwrap();
    assert_eq!(post(&http, &server, "/sign-up", json!({ "email": "bounced@example.test" })).await.0, 200);
    // The retries pause in real time (they wait for a mail server, not for a rule).
    let given_up = tokio::time::timeout(wait, async {
        while server.services.store.mail_waiting().await.unwrap() > 0 {
            #[allow(clippy::disallowed_methods)]
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    });
    assert!(given_up.await.is_ok(), "the bounced mail is still waiting");
    assert_eq!(fakes.mail.faults().snapshot().0.fail_next, 1, "given up after three refusals");
    assert!(fakes.mail.messages("bounced@example.test").is_empty());
    fakes.mail.faults().clear();
    assert_eq!(post(&http, &server, "/sign-up", json!({ "email": "after@example.test" })).await.0, 200);
    assert!(
        fakes.mail.wait_for_message("after@example.test", wait).await.is_some(),
        "the next mail goes out"
    );
}

/// The deliveries hook says an email still waits while the mail server refuses it, and once it
/// says none waits, the email is in the inbox already: a check that nothing came can ask it
/// instead of watching the inbox for a while.
#[tokio::test]
async fn the_deliveries_hook_answers_none_waiting_only_once_the_mail_is_taken() {
    use fakes::faults::{SmtpFaults, SmtpStage};
    let (server, fakes) = spawn_app(|_| {}).await;
    let http = client();
    let token = server.services.config.conformance_hook_token.as_ref().unwrap().expose_secret().to_owned();
    let waiting = || async {
        let response = http
            .get(format!("{}/__conformance/deliveries", server.base_url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        response.json::<Value>().await.unwrap()["waiting"].as_i64().expect("a count")
    };
    assert_eq!(waiting().await, 0, "nothing queued yet");
    let refuse = SmtpFaults { fail_next: 1_000, code: 451, stage: SmtpStage::Rcpt, drop_next: 0 };
    fakes.mail.faults().set_smtp(refuse).unwrap();
    assert_eq!(post(&http, &server, "/sign-up", json!({ "email": "held@example.test" })).await.0, 200);
    assert_eq!(waiting().await, 1, "the refused email still waits");
    assert!(fakes.mail.messages("held@example.test").is_empty());

    fakes.mail.faults().clear();
    // The worker retries after a pause in real time; each answer waits up to two seconds.
    let mut looks = 0;
    while waiting().await > 0 {
        looks += 1;
        assert!(looks < 30, "the email never left the outbox");
    }
    assert_eq!(fakes.mail.messages("held@example.test").len(), 1, "in the inbox when none waits");
}

/// Slow clients (headers sent a little at a time, then nothing) cannot hold the server: they
/// are cut off after the header timeout, and a normal request is answered meanwhile even when
/// they hold every connection slot.
#[tokio::test]
async fn slow_clients_are_cut_off_and_others_are_served() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (server, _fakes) = spawn_app(|config| {
        config.limits.header_read_timeout_secs = 1;
        config.limits.max_connections = 4;
    })
    .await;
    let mut slow = Vec::new();
    for _ in 0..4 {
        let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: slow\r\n").await.unwrap();
        slow.push(stream);
    }
    let answered = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
        .get(format!("{}/healthz", server.base_url))
        .send()
        .await
        .expect("a normal request is answered while slow clients hold the connections");
    assert_eq!(answered.status().as_u16(), 200);
    for mut stream in slow {
        let mut rest = Vec::new();
        let closed =
            tokio::time::timeout(std::time::Duration::from_secs(20), stream.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "a slow client's connection was not closed by the server");
    }
}

/// Contact data at rest: after a sign-up with a phone, the database file holds neither the
/// address nor the number in plain text; the folder and file are the owner's alone.
#[tokio::test]
async fn addresses_and_numbers_are_sealed_at_rest() {
    let (server, fakes) = spawn_app(|_| {}).await;
    let (email, phone) = ("sealed.contact@example.test", "+15550123499");
    signed_in(&server, &fakes, email, "a passphrase to keep", phone).await;
    let bytes = helpers::stored_bytes(&server).await;
    for plain in [email, phone, "sealed.contact"] {
        assert!(
            !bytes.windows(plain.len()).any(|w| w == plain.as_bytes()),
            "{plain} is stored in plain text"
        );
    }
    #[cfg(unix)]
    if server.services.store.backend() == reference_server::store::Backend::Sqlite {
        use std::os::unix::fs::PermissionsExt as _;
        let path = server.services.config.database_path();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }
    // Still found and read back: the account is there under its address.
    let address = reference_server::domain::Email::parse(email).unwrap();
    let account =
        server.services.store.account_by_email(&address).await.unwrap().expect("found by its address");
    assert_eq!(account.phone.as_deref(), Some(phone));
}

/// Expired links, codes, limiter events and sessions are purged once nothing more can be said
/// about them; a link is kept a week past its expiry so that a late click is told "expired".
#[tokio::test]
async fn expired_rows_are_purged_after_their_grace() {
    let (server, fakes) = spawn_app(|_| {}).await;
    let http = client();
    assert_eq!(post(&http, &server, "/sign-up", json!({ "email": "purged@example.test" })).await.0, 200);
    let mail =
        fakes.mail.wait_for_message("purged@example.test", std::time::Duration::from_secs(10)).await.unwrap();
    let token = mail.links[0].split("token=").nth(1).unwrap().to_owned();
    server.clock.advance(time::Duration::days(2)).unwrap();
    server.services.purge_expired().await.unwrap();
    let (_, body) = post(&client(), &server, "/sign-up/confirm", json!({ "token": token })).await;
    assert_eq!(body["reason"], "link_expired", "kept while a late click can be told: {body}");
    server.clock.advance(time::Duration::days(7)).unwrap();
    assert!(server.services.purge_expired().await.unwrap() > 0);
    let (_, body) = post(&client(), &server, "/sign-up/confirm", json!({ "token": token })).await;
    assert_eq!(body["reason"], "link_invalid", "purged: {body}");
}

/// A database written before contact data was sealed is sealed when the server opens it, and
/// its accounts are still found by their addresses.
#[tokio::test]
async fn plaintext_contacts_from_before_are_sealed_on_open() {
    use reference_server::store::{Contacts, Store};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db/reference.db");
    let contacts = || Contacts::new([3; 32], [4; 32]);
    let store = Store::open(&path, contacts()).await.unwrap();
    sqlx::query("INSERT INTO accounts (email, password_hash, created_at, phone) VALUES (?, 'h', 0, ?)")
        .bind("old.plain@example.test")
        .bind("+15550123777")
        .execute(&mut *store.write().await.unwrap())
        .await
        .unwrap();
    drop(store);
    let store = Store::open(&path, contacts()).await.unwrap();
    let (email, phone): (String, Option<String>) = sqlx::query_as("SELECT email, phone FROM accounts")
        .fetch_one(&mut *store.read().await.unwrap())
        .await
        .unwrap();
    assert!(!email.contains('@') && phone.is_none(), "still plain: {email} {phone:?}");
    let address = reference_server::domain::Email::parse("old.plain@example.test").unwrap();
    let account = store.account_by_email(&address).await.unwrap().expect("found by its address");
    assert_eq!(account.phone.as_deref(), Some("+15550123777"));
}

/// A post from `client`, as a proxy at 127.0.0.1 would forward it.
async fn post_from(server: &RunningServer, client: &str, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1{path}", server.base_url))
        .header("x-forwarded-for", client)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

fn wrong_password(address: &str) -> Value {
    json!({ "email": address, "password": "not the password at all" })
}

/// Per-client limits count the client a trusted proxy names, across every address it tries:
/// password spraying and mail bombing are cut off, other clients are not.
#[tokio::test]
async fn per_client_limits_count_the_client_a_trusted_proxy_names() {
    let (server, _fakes) = spawn_app(|config| {
        config.limits.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        config.limits.per_client_wrong_passwords = 3;
        config.limits.per_client_emails = 2;
    })
    .await;
    let sprayer = "1.2.3.4, 203.0.113.7"; // the proxy appended what it saw; the rest is the client's
    for i in 0..3 {
        let (status, body) =
            post_from(&server, sprayer, "/sign-in", wrong_password(&format!("s{i}@example.test"))).await;
        assert_eq!(body["reason"], "credentials_invalid", "{status} {body}");
    }
    let (status, body) = post_from(&server, sprayer, "/sign-in", wrong_password("fresh@example.test")).await;
    assert_eq!(status, 429, "the fourth wrong password from one client, for a fresh address: {body}");
    assert!(body["retry_at"].is_string(), "{body}");
    // What the client wrote itself changes nothing; another client is not held back.
    let (status, _) =
        post_from(&server, "9.9.9.9, 203.0.113.7", "/sign-in", wrong_password("x@example.test")).await;
    assert_eq!(status, 429);
    let (_, body) = post_from(&server, "203.0.113.8", "/sign-in", wrong_password("fresh@example.test")).await;
    assert_eq!(body["reason"], "credentials_invalid", "{body}");

    let bomber = "198.51.100.9";
    for (i, path) in ["/password/forgot", "/sign-up"].iter().enumerate() {
        let (status, body) =
            post_from(&server, bomber, path, json!({ "email": format!("v{i}@example.test") })).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    let (status, body) =
        post_from(&server, bomber, "/password/forgot", json!({ "email": "v9@example.test" })).await;
    assert_eq!(status, 429, "a third email for one client, to a fresh address: {body}");
    let (status, _) =
        post_from(&server, "198.51.100.10", "/password/forgot", json!({ "email": "v9@example.test" })).await;
    assert_eq!(status, 200);
}

/// Without trusted proxies `X-Forwarded-For` is never read: rotating it does not dodge a limit.
#[tokio::test]
async fn without_trusted_proxies_a_forwarded_address_is_ignored() {
    let (server, _fakes) = spawn_app(|config| config.limits.per_client_wrong_passwords = 2).await;
    for i in 0..2 {
        let (_, body) = post_from(
            &server,
            &format!("203.0.113.{i}"),
            "/sign-in",
            wrong_password(&format!("r{i}@example.test")),
        )
        .await;
        assert_eq!(body["reason"], "credentials_invalid", "{body}");
    }
    let (status, body) =
        post_from(&server, "203.0.113.99", "/sign-in", wrong_password("r9@example.test")).await;
    assert_eq!(status, 429, "every request came from 127.0.0.1: {body}");
}

/// SU-7: the notice of a sign-up attempt carries a link to report misuse; presses of it, even
/// at once, make one report with one reference; an expired link is refused.
#[tokio::test]
async fn a_misuse_report_is_received_once_whatever_the_presses() {
    let (server, fakes) = spawn_app(|_| {}).await;
    let owner = "owner@example.test";
    sign_up(&server, &fakes, owner, "the owner's passphrase").await;
    let after = fakes.mail.inbox().cursor();
    assert_eq!(post(&client(), &server, "/sign-up", json!({ "email": owner })).await.0, 200);
    let notice = fakes
        .mail
        .inbox()
        .wait_after(owner, after, std::time::Duration::from_secs(10))
        .await
        .expect("the notice");
    let link =
        notice.links.iter().find(|l| l.contains("/report-misuse?token=")).expect("a report link").clone();
    let token = link.split("token=").nth(1).unwrap().to_owned();

    let presses = (0..10).map(|_| {
        let (server, token) = (&server, token.clone());
        async move { post(&client(), server, "/misuse-reports", json!({ "token": token })).await }
    });
    let answers = futures::future::join_all(presses).await;
    let references: std::collections::BTreeSet<_> = answers
        .iter()
        .map(|(status, body)| (*status, body["reference"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert_eq!(references.len(), 1, "one reference for every press: {answers:?}");
    let account = server
        .services
        .store
        .account_by_email(&reference_server::domain::Email::parse(owner).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(server.services.store.misuse_reports(account.id).await.unwrap(), 1);

    server.services.clock.advance(time::Duration::days(31)).unwrap();
    let (status, body) = post(&client(), &server, "/misuse-reports", json!({ "token": token })).await;
    assert_eq!((status, body["reason"].as_str()), (422, Some("link_expired")), "{body}");
}
