//! The fakes' HTTP APIs as a service's own code meets them: Twilio's REST shape end to end
//! (API keys, messaging services, reading back by sid, calls whose TwiML is fetched from the
//! service, signed status callbacks), the fault switches, and the SES v2 `SendEmail` endpoint.

// Deliveries, callbacks and the slow-provider fault happen in real time over real HTTP:
// polling for them, and timing the delay, is waiting for the network, not for a rule.
#![allow(clippy::disallowed_methods)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, Uri};
use axum::routing::post;
use fakes::sms::webhooks::signature;
use fakes::{Fakes, FakesConfig};
use serde_json::{Value, json};

async fn start() -> Fakes {
    Fakes::start(FakesConfig::ephemeral()).await.unwrap()
}

/// A request the service received: its path, its form, and whether its signature is right.
type Received = (String, Vec<(String, String)>, bool);

/// A stand-in for a team's service: serves TwiML and records the callbacks it is sent, each
/// with whether its `X-Twilio-Signature` is right.
#[derive(Clone, Default)]
struct Service {
    base: Arc<Mutex<String>>,
    token: Arc<Mutex<String>>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Service {
    async fn start(auth_token: &str) -> Self {
        let service = Service::default();
        *service.token.lock().unwrap() = auth_token.to_owned();
        let app = Router::new()
            .route("/voice", post(voice))
            .route("/voice/more", axum::routing::get(more))
            .route("/status", post(status))
            .with_state(service.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        *service.base.lock().unwrap() = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        service
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.lock().unwrap())
    }

    fn record(&self, uri: &Uri, headers: &HeaderMap, form: Vec<(String, String)>) {
        let url = self.url(&uri.to_string());
        let given = headers.get("x-twilio-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let valid = given == signature(&self.token.lock().unwrap(), &url, &form);
        self.received.lock().unwrap().push((uri.path().to_owned(), form, valid));
    }

    async fn wait_for(&self, path: &str, key: &str, value: &str) -> Vec<(String, String)> {
        for _ in 0..100 {
            let found = self.received.lock().unwrap().iter().find_map(|(p, form, _)| {
                (p == path && form.iter().any(|(k, v)| k == key && v == value)).then(|| form.clone())
            });
            if let Some(form) = found {
                return form;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no {path} request with {key}={value}: {:?}", self.received.lock().unwrap());
    }
}

async fn voice(
    State(s): State<Service>,
    uri: Uri,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> String {
    s.record(&uri, &headers, form);
    r#"<?xml version="1.0"?><Response><Say>Your code is 4, 8, 1, 5, 1, 6.</Say><Pause length="1"/><Redirect method="GET">/voice/more</Redirect></Response>"#.into()
}

async fn more(State(s): State<Service>, uri: Uri, headers: HeaderMap) -> String {
    s.record(&uri, &headers, Vec::new());
    "<Response><Say>Again: 4, 8, 1, 5, 1, 6.</Say><Hangup/></Response>".into()
}

async fn status(
    State(s): State<Service>,
    uri: Uri,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) {
    s.record(&uri, &headers, form);
}

async fn twilio(fakes: &Fakes, kind: &str, form: &[(&str, &str)], auth: (&str, &str)) -> (u16, Value) {
    let account = &fakes.sms.credentials().account_sid;
    let url = format!("{}/2010-04-01/Accounts/{account}/{kind}.json", fakes.sms.base_url());
    let response =
        reqwest::Client::new().post(url).basic_auth(auth.0, Some(auth.1)).form(form).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn fetch(fakes: &Fakes, kind: &str, sid: &str) -> (u16, Value) {
    let c = fakes.sms.credentials();
    let url = format!("{}/2010-04-01/Accounts/{}/{kind}/{sid}.json", fakes.sms.base_url(), c.account_sid);
    let response = reqwest::Client::new()
        .get(url)
        .basic_auth(&c.api_key_sid, Some(&c.api_key_secret))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn wait_status(fakes: &Fakes, kind: &str, sid: &str, status: &str) -> Value {
    for _ in 0..100 {
        let (_, record) = fetch(fakes, kind, sid).await;
        if record["status"] == status {
            return record;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{sid} never reached {status}: {:?}", fetch(fakes, kind, sid).await);
}

#[tokio::test]
async fn a_text_by_api_key_and_messaging_service_is_read_back_and_reported() {
    let fakes = start().await;
    let c = fakes.sms.credentials().clone();
    let service = Service::start(&c.auth_token).await;
    let callback = service.url("/status");
    let form = [
        ("To", "+15550000002"),
        ("MessagingServiceSid", "MG00000000000000000000000000000001"),
        ("Body", "Your code: 123456. It expires in 10 minutes."),
        ("StatusCallback", callback.as_str()),
    ];
    let (status, created) = twilio(&fakes, "Messages", &form, (&c.api_key_sid, &c.api_key_secret)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "queued");
    assert_eq!(created["messaging_service_sid"], "MG00000000000000000000000000000001");
    let sid = created["sid"].as_str().unwrap();
    assert!(sid.starts_with("SM") && sid.len() == 34, "{sid}");
    assert_eq!(fakes.sms.messages("+15550000002").len(), 1);

    let delivered = service.wait_for("/status", "MessageStatus", "delivered").await;
    service.wait_for("/status", "MessageStatus", "sent").await;
    assert!(delivered.contains(&("MessageSid".into(), sid.into())));
    assert!(service.received.lock().unwrap().iter().all(|(_, _, valid)| *valid), "every callback is signed");
    let record = wait_status(&fakes, "Messages", sid, "delivered").await;
    assert_eq!(record["body"], form[2].1);

    let (status, body) = fetch(&fakes, "Messages", "SM00000000000000000000000000000999").await;
    assert_eq!((status, body["code"].as_u64()), (404, Some(20404)));
    let (status, body) = twilio(&fakes, "Messages", &form, (&c.api_key_sid, "wrong secret")).await;
    assert_eq!((status, body["code"].as_u64()), (401, Some(20003)));
    let (status, body) =
        twilio(&fakes, "Messages", &[("To", "+15550000002"), ("Body", "x")], (&c.account_sid, &c.auth_token))
            .await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(21603)), "neither From nor a messaging service");
}

#[tokio::test]
async fn a_call_by_url_fetches_its_twiml_from_the_service_and_follows_redirects() {
    let fakes = start().await;
    let c = fakes.sms.credentials().clone();
    let service = Service::start(&c.auth_token).await;
    let (voice, status) = (service.url("/voice"), service.url("/status"));
    let form = [
        ("To", "+15550000003"),
        ("From", "+15550000000"),
        ("Url", voice.as_str()),
        ("StatusCallback", status.as_str()),
    ];
    let (code, created) = twilio(&fakes, "Calls", &form, (&c.account_sid, &c.auth_token)).await;
    assert_eq!(code, 201, "{created}");
    let sid = created["sid"].as_str().unwrap().to_owned();
    let call =
        fakes.sms.inbox().wait_for("+15550000003", Duration::from_secs(10)).await.expect("the call arrives");
    assert_eq!(call.body, "Your code is 4, 8, 1, 5, 1, 6. Again: 4, 8, 1, 5, 1, 6.");
    let fetched = service.wait_for("/voice", "CallSid", &sid).await;
    assert!(fetched.contains(&("CallStatus".into(), "in-progress".into())));
    service.wait_for("/status", "CallStatus", "completed").await;
    assert!(
        service.received.lock().unwrap().iter().all(|(_, _, valid)| *valid),
        "TwiML fetches and callbacks are signed"
    );
    wait_status(&fakes, "Calls", &sid, "completed").await;

    let form = [("To", "+15550000004"), ("From", "+15550000000"), ("Url", "http://127.0.0.1:1/nothing-here")];
    let (_, created) = twilio(&fakes, "Calls", &form, (&c.account_sid, &c.auth_token)).await;
    wait_status(&fakes, "Calls", created["sid"].as_str().unwrap(), "failed").await;
    assert!(fakes.sms.calls("+15550000004").is_empty(), "a call whose TwiML cannot be fetched says nothing");
}

#[tokio::test]
async fn lost_late_invalid_and_unreachable_numbers_behave_as_documented() {
    let fakes = start().await;
    let c = fakes.sms.credentials().clone();
    let auth = (c.account_sid.as_str(), c.auth_token.as_str());
    let text = |to: &'static str| [("To", to), ("From", "+15550000000"), ("Body", "Your code is 246810")];

    let (status, lost) = twilio(&fakes, "Messages", &text("+15554000001"), auth).await;
    assert_eq!(status, 201);
    wait_status(&fakes, "Messages", lost["sid"].as_str().unwrap(), "delivered").await;
    assert!(
        fakes.sms.messages("+15554000001").is_empty(),
        "a lost text is reported delivered and never arrives"
    );

    let (_, late) = twilio(&fakes, "Messages", &text("+15555000001"), auth).await;
    assert!(fakes.sms.messages("+15555000001").is_empty(), "not there at once");
    let arrived = fakes.sms.inbox().wait_for("+15555000001", Duration::from_secs(5)).await;
    assert!(arrived.is_some(), "arrives a second late");
    wait_status(&fakes, "Messages", late["sid"].as_str().unwrap(), "delivered").await;

    let (status, body) = twilio(&fakes, "Messages", &text("+15556000001"), auth).await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(21211)));
    let twiml = [
        ("To", "+15556000001"),
        ("From", "+15550000000"),
        ("Twiml", "<Response><Say>1 2 3</Say></Response>"),
    ];
    let (status, body) = twilio(&fakes, "Calls", &twiml, auth).await;
    assert_eq!(
        (status, body["code"].as_u64()),
        (400, Some(13224)),
        "an invalid number takes no calls either"
    );

    let (status, gone) = twilio(&fakes, "Messages", &text("+15557000001"), auth).await;
    assert_eq!(status, 201);
    let record = wait_status(&fakes, "Messages", gone["sid"].as_str().unwrap(), "undelivered").await;
    assert_eq!(record["error_code"], 30003);
    assert!(fakes.sms.messages("+15557000001").is_empty());
}

async fn put(fakes: &Fakes, what: &str, body: Value) -> u16 {
    let url = format!("{}/api/faults/{what}", fakes.api_url());
    reqwest::Client::new().put(url).json(&body).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn sms_faults_fail_drop_and_slow_the_provider() {
    let fakes = start().await;
    let c = fakes.sms.credentials().clone();
    let auth = (c.account_sid.as_str(), c.auth_token.as_str());
    let text = [("To", "+15550000005"), ("From", "+15550000000"), ("Body", "Your code is 135790")];

    assert_eq!(put(&fakes, "sms", json!({ "fail_next": 1, "status": 503, "drop_next": 1 })).await, 204);
    let (status, body) = twilio(&fakes, "Messages", &text, auth).await;
    assert_eq!((status, body["code"].as_u64()), (503, Some(20503)));
    let (status, _) = twilio(&fakes, "Messages", &text, auth).await;
    assert_eq!(status, 201);
    assert!(fakes.sms.messages("+15550000005").is_empty(), "the dropped text never arrives");
    twilio(&fakes, "Messages", &text, auth).await;
    assert_eq!(fakes.sms.messages("+15550000005").len(), 1, "faults are spent");

    assert_eq!(put(&fakes, "sms", json!({ "delay_ms": 400 })).await, 204);
    let started = std::time::Instant::now();
    twilio(&fakes, "Messages", &text, auth).await;
    assert!(started.elapsed() >= Duration::from_millis(400), "the provider answers late");
    let shown: Value =
        reqwest::get(format!("{}/api/faults", fakes.api_url())).await.unwrap().json().await.unwrap();
    assert_eq!(shown["sms"]["delay_ms"], 400);
    let cleared =
        reqwest::Client::new().delete(format!("{}/api/faults", fakes.api_url())).send().await.unwrap();
    assert_eq!(cleared.status().as_u16(), 204);

    assert_eq!(put(&fakes, "sms", json!({ "fail_next": 1, "status": 200 })).await, 400);
    assert_eq!(put(&fakes, "sms", json!({ "fail_nxt": 1 })).await, 400, "unknown fields are refused");
}

#[tokio::test]
async fn smtp_faults_refuse_at_the_chosen_step_and_drop_messages() {
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let fakes = start().await;
    let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(fakes.mail.addr().port())
        .build();
    let message = |to: &str| {
        Message::builder()
            .from("s@example.test".parse().unwrap())
            .to(to.parse().unwrap())
            .subject("Hi")
            .body("Hello".to_owned())
            .unwrap()
    };

    assert_eq!(put(&fakes, "smtp", json!({ "fail_next": 1, "code": 451, "stage": "rcpt" })).await, 204);
    let error = smtp.send(message("a@example.test")).await.unwrap_err();
    assert!(error.is_transient(), "451 is a temporary refusal: {error}");
    smtp.send(message("a@example.test")).await.expect("the fault is spent");

    assert_eq!(put(&fakes, "smtp", json!({ "fail_next": 1, "code": 554 })).await, 204);
    let error = smtp.send(message("b@example.test")).await.unwrap_err();
    assert!(error.is_permanent(), "554 at the end of DATA is permanent: {error}");
    assert!(fakes.mail.inbox().filtered(Some("b@example.test")).is_empty());

    assert_eq!(put(&fakes, "smtp", json!({ "drop_next": 1 })).await, 204);
    smtp.send(message("c@example.test")).await.expect("a dropped message is accepted");
    smtp.send(message("d@example.test")).await.unwrap();
    assert!(fakes.mail.inbox().filtered(Some("c@example.test")).is_empty(), "and never arrives");
    assert_eq!(fakes.mail.inbox().filtered(Some("d@example.test")).len(), 1);
    assert_eq!(put(&fakes, "smtp", json!({ "fail_next": 1, "code": 250 })).await, 400);
}

async fn ses(fakes: &Fakes, body: Value, signed: bool) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/v2/email/outbound-emails", fakes.settings().ses_endpoint))
        .json(&body);
    if signed {
        request = request.header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202/us-east-1/ses/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        );
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn ses_send_email_lands_in_the_same_inbox() {
    use base64::Engine as _;
    let fakes = start().await;
    let simple = json!({
        "FromEmailAddress": "no-reply@service.test",
        "Destination": { "ToAddresses": ["x@example.test"], "BccAddresses": ["y@example.test"] },
        "Content": { "Simple": {
            "Subject": { "Data": "Confirm your email", "Charset": "UTF-8" },
            "Body": { "Text": { "Data": "Open https://service.test/confirm?token=t1" }, "Html": { "Data": "<a href=\"https://service.test/confirm?token=t1\">Confirm</a>" } }
        } }
    });
    let (status, body) = ses(&fakes, simple.clone(), true).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["MessageId"].is_string());
    let mail = fakes.mail.inbox().filtered(Some("y@example.test")).pop().expect("Bcc recipients get it");
    assert_eq!(
        (mail.subject.as_str(), mail.links.as_slice()),
        ("Confirm your email", &["https://service.test/confirm?token=t1".to_owned()][..])
    );

    let raw =
        "From: no-reply@service.test\r\nTo: z@example.test\r\nSubject: =?UTF-8?B?Q2Fmw6k=?=\r\n\r\nHello\r\n";
    let data = base64::engine::general_purpose::STANDARD.encode(raw);
    let (status, _) = ses(
        &fakes,
        json!({ "FromEmailAddress": "no-reply@service.test", "Content": { "Raw": { "Data": data } } }),
        true,
    )
    .await;
    assert_eq!(status, 200);
    let mail =
        fakes.mail.inbox().filtered(Some("z@example.test")).pop().expect("recipients read from the headers");
    assert_eq!(mail.subject, "Café");

    let (status, body) = ses(&fakes, simple, false).await;
    assert_eq!((status, body["message"].as_str()), (403, Some("Missing Authentication Token")));
    let (status, _) = ses(&fakes, json!({ "FromEmailAddress": "a@b.test", "Content": {} }), true).await;
    assert_eq!(status, 400);
}

/// The identity-proofing fakes as a vendor client meets them: basic auth, the TrueID-shaped
/// verdicts chosen by test documents, Instant Verify-shaped look-ups with magic SSNs, and a log
/// that keeps no image.
#[tokio::test]
async fn the_proofing_vendors_answer_in_their_shapes_and_keep_no_image() {
    use base64::Engine as _;
    let fakes = start().await;
    let settings = fakes.settings();
    let http = reqwest::Client::new();
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let png = b"\x89PNG\r\n\x1a\nmarker-of-a-face";
    let documents = |front: &[u8]| json!({ "Type": "Initiate", "Document": { "Front": b64(front), "Back": b64(png), "Selfie": b64(png) } });
    let url =
        format!("{}/restws/identity/v3/accounts/acme/workflows/trueid/conversations", settings.proofing_url);
    let unauthenticated = http.post(&url).json(&documents(png)).send().await.unwrap();
    assert_eq!(unauthenticated.status().as_u16(), 401);
    let post = |body: Value, url: String| {
        http.post(url)
            .basic_auth(&settings.proofing_username, Some(&settings.proofing_password))
            .json(&body)
            .send()
    };
    let passed: Value = post(documents(png), url.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(passed["Status"]["TransactionStatus"], "passed", "{passed}");
    let details = passed["Products"][0]["ParameterDetails"].as_array().unwrap();
    let field = |name: &str| {
        details
            .iter()
            .find(|d| d["Name"] == name)
            .map(|d| d["Values"][0]["Value"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(field("Fields_FirstName"), "FAKEY");
    assert_eq!(field("DocAuthResult"), "Passed");
    let expired = br#"{"failed_alerts":[{"name":"Document Expired"}]}"#;
    let failed: Value = post(documents(expired), url.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(failed["Status"]["TransactionStatus"], "failed", "{failed}");

    let resolution = format!("{}/restws/identity/v2/acme/iv/conversation", settings.proofing_url);
    let person = |ssn: &str| {
        json!({ "Person": { "Name": { "FirstName": "A", "LastName": "B" }, "SSN": { "Number": ssn },
                            "DateOfBirth": { "Year": "1980", "Month": "1", "Day": "2" } } })
    };
    let found: Value = post(person("900-12-3456"), resolution.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(found["Status"]["TransactionStatus"], "passed", "{found}");
    let nobody: Value = post(person("999-99-9999"), resolution.clone()).await.unwrap().json().await.unwrap();
    assert_eq!(nobody["Status"]["TransactionStatus"], "failed", "{nobody}");
    assert_eq!(post(person("999-99-9998"), resolution).await.unwrap().status().as_u16(), 500);

    let log =
        http.get(format!("{}/api/proofing", fakes.api_url())).send().await.unwrap().text().await.unwrap();
    assert!(log.contains("document_expired") && log.contains("identity_not_found"), "{log}");
    assert!(!log.contains("marker-of-a-face") && !log.contains(&b64(png)), "the log keeps an image: {log}");
    let page = http.get(fakes.api_url()).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Identity checks") && page.contains("document_expired"));
}
