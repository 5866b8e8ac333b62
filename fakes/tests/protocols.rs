//! The fakes over their real protocols: an SMTP conversation from lettre, HTTP calls in the
//! Twilio shape, and the inbox API.

use std::time::Duration;

use fakes::{Fakes, FakesConfig};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::Value;

async fn start() -> Fakes {
    Fakes::start(FakesConfig::ephemeral()).await.unwrap()
}

#[tokio::test]
async fn smtp_mail_to_several_recipients_is_decoded_and_wakes_waiters() {
    let fakes = start().await;
    let waiter = {
        let mail = fakes.mail.clone();
        tokio::spawn(async move { mail.wait_for_message("b@example.test", Duration::from_secs(10)).await })
    };
    let message = Message::builder()
        .from("Service <no-reply@example.test>".parse::<Mailbox>().unwrap())
        .to("a@example.test".parse().unwrap())
        .to("b@example.test".parse().unwrap())
        .subject("Confirm your café address")
        .multipart(MultiPart::alternative_plain_html(
            "Open https://service.test/confirm?token=abc&x=1 — merci".to_owned(),
            "<p><a href=\"https://service.test/confirm?token=abc&amp;x=1\">Confirm</a></p>".to_owned(),
        ))
        .unwrap();
    let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(fakes.mail.addr().port())
        .build();
    smtp.send(message).await.unwrap();

    let received = waiter.await.unwrap().expect("the waiter wakes on arrival");
    assert_eq!(received.subject, "Confirm your café address");
    assert_eq!(received.to, ["a@example.test", "b@example.test"]);
    assert!(received.text.contains("merci"));
    assert_eq!(received.links, ["https://service.test/confirm?token=abc&x=1"]);
    assert_eq!(fakes.mail.messages("A@Example.test").len(), 1, "recipients match case-insensitively");

    let api: Value = reqwest::get(format!("{}/api/mail/latest?to=a@example.test", fakes.api_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["subject"], "Confirm your café address");
    let page = reqwest::get(fakes.api_url()).await.unwrap().text().await.unwrap();
    assert!(
        page.contains("Confirm your café address")
            && page.contains("href=\"https://service.test/confirm?token=abc&amp;x=1\"")
    );
    let cleared =
        reqwest::Client::new().delete(format!("{}/api/mail", fakes.api_url())).send().await.unwrap();
    assert_eq!(cleared.status().as_u16(), 204);
    assert!(fakes.mail.messages("a@example.test").is_empty());
}

async fn twilio(
    fakes: &Fakes,
    kind: &str,
    form: &[(&str, &str)],
    auth: Option<(&str, &str)>,
) -> (u16, Value) {
    let creds = fakes.sms.credentials();
    let (sid, token) = auth.unwrap_or((&creds.account_sid, &creds.auth_token));
    let url = format!("{}/2010-04-01/Accounts/{sid}/{kind}.json", fakes.sms.base_url());
    let response =
        reqwest::Client::new().post(url).basic_auth(sid, Some(token)).form(form).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn texts_and_calls_follow_the_twilio_shape_with_documented_faults() {
    let fakes = start().await;
    let (status, body) = twilio(
        &fakes,
        "Messages",
        &[("To", "+15550000001"), ("From", "+15550000000"), ("Body", "123456 is your code")],
        None,
    )
    .await;
    assert_eq!(status, 201);
    assert!(body["sid"].as_str().unwrap().starts_with("SM"));
    assert_eq!(fakes.sms.latest_code("+15550000001").as_deref(), Some("123456"));

    let (status, body) =
        twilio(&fakes, "Messages", &[("To", "+15551000001"), ("From", "+1"), ("Body", "654321")], None).await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(21614)), "landline refuses texts");
    let twiml = "<Response><Say>Your code is 6, 5, 4, 3, 2, 1.</Say></Response>";
    let (status, body) =
        twilio(&fakes, "Calls", &[("To", "+15551000001"), ("From", "+1"), ("Twiml", twiml)], None).await;
    assert_eq!(status, 201);
    assert!(body["sid"].as_str().unwrap().starts_with("CA"));
    assert_eq!(fakes.sms.calls("+15551000001").len(), 1);
    assert_eq!(
        fakes.sms.wait_for_code("+1 555 100 0001", Duration::from_secs(1)).await.as_deref(),
        Some("654321")
    );

    let (status, body) =
        twilio(&fakes, "Messages", &[("To", "+15552000001"), ("From", "+1"), ("Body", "x 111111")], None)
            .await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(21610)), "opted-out number");
    let (status, _) =
        twilio(&fakes, "Calls", &[("To", "+15553000001"), ("From", "+1"), ("Twiml", twiml)], None).await;
    assert_eq!(status, 500, "failing number");
    let (status, body) =
        twilio(&fakes, "Messages", &[("To", "+15550000001"), ("Body", "x")], Some(("ACwrong", "nope"))).await;
    assert_eq!((status, body["code"].as_u64()), (401, Some(20003)));
    assert!(fakes.sms.messages("+15552000001").is_empty(), "refused texts are not delivered");

    let listing: Value = reqwest::get(format!("{}/api/phone?to=%2B15550000001", fakes.api_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listing["messages"][0]["code"], "123456");
}

/// A raw SMTP conversation: sends each line, returns every reply line read after it.
struct Raw {
    reader: tokio::io::BufReader<tokio::net::TcpStream>,
}

impl Raw {
    async fn connect(port: u16) -> (Self, String) {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let mut raw = Self { reader: tokio::io::BufReader::new(stream) };
        let greeting = raw.reply().await;
        (raw, greeting)
    }

    /// One reply, all its lines (a multi-line reply ends at "NNN ").
    async fn reply(&mut self) -> String {
        use tokio::io::AsyncBufReadExt as _;
        let mut all = String::new();
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(Duration::from_secs(10), self.reader.read_line(&mut line))
                .await
                .expect("a reply within 10 s")
                .unwrap();
            all.push_str(&line);
            if read == 0 || line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    async fn say(&mut self, line: &str) -> String {
        use tokio::io::AsyncWriteExt as _;
        self.reader.get_mut().write_all(format!("{line}\r\n").as_bytes()).await.unwrap();
        self.reply().await
    }
}

/// Held-open idle connections (a service's pool, a crashed client) never keep another
/// client from its greeting: 50 are open while a lettre client sends.
#[tokio::test]
async fn fifty_idle_connections_do_not_stall_another_sender() {
    let fakes = start().await;
    let port = fakes.mail.addr().port();
    let mut idle = Vec::new();
    for _ in 0..50 {
        let (raw, greeting) = Raw::connect(port).await;
        assert!(greeting.starts_with("220 "), "{greeting}");
        idle.push(raw);
    }
    let message = Message::builder()
        .from("no-reply@example.test".parse::<Mailbox>().unwrap())
        .to("busy@example.test".parse().unwrap())
        .subject("Delivered while 50 others wait")
        .body("hello".to_owned())
        .unwrap();
    let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1").port(port).build();
    tokio::time::timeout(Duration::from_secs(10), smtp.send(message)).await.expect("sent in time").unwrap();
    assert_eq!(fakes.mail.messages("busy@example.test").len(), 1);
    drop(idle);
}

/// Past the connection cap a client is told 421 at once; a silent one is closed with 421.
#[tokio::test]
async fn the_cap_and_the_idle_timeout_answer_421() {
    let mut config = FakesConfig::ephemeral();
    config.mail.max_connections = 2;
    config.mail.idle_timeout = Duration::from_secs(1);
    let fakes = Fakes::start(config).await.unwrap();
    let port = fakes.mail.addr().port();
    let (mut first, _) = Raw::connect(port).await;
    let (_second, _) = Raw::connect(port).await;
    let (_third, refused) = Raw::connect(port).await;
    assert!(refused.starts_with("421 "), "{refused}");
    // The first says nothing: the server closes it, saying why.
    let closed = first.reply().await;
    assert!(closed.starts_with("421 ") && closed.contains("Idle"), "{closed}");
    assert_eq!(first.reply().await, "", "then the connection is closed");
}

/// EHLO lists what production settings expect; AUTH is optional, and checked when configured;
/// SIZE is enforced; an SMTPUTF8 address goes through.
#[tokio::test]
async fn auth_size_and_smtputf8_as_production_clients_use_them() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut config = FakesConfig::ephemeral();
    config.mail.credentials = Some(("service".into(), "s3cret".into()));
    config.mail.max_message_bytes = 1000;
    let fakes = Fakes::start(config).await.unwrap();
    let (mut c, _) = Raw::connect(fakes.mail.addr().port()).await;
    let ehlo = c.say("EHLO client.test").await;
    for extension in ["STARTTLS", "AUTH PLAIN LOGIN", "SIZE 1000", "SMTPUTF8", "8BITMIME", "PIPELINING"] {
        assert!(ehlo.contains(extension), "{extension} missing from {ehlo}");
    }
    assert!(c.say(&format!("AUTH PLAIN {}", b64("\0service\0wrong"))).await.starts_with("535 "));
    assert!(c.say("AUTH LOGIN").await.starts_with("334 "));
    assert!(c.say(&b64("service")).await.starts_with("334 "));
    assert!(c.say(&b64("s3cret")).await.starts_with("235 "));
    assert!(c.say("MAIL FROM:<a@example.test> SIZE=5000").await.starts_with("552 "));
    assert!(c.say("MAIL FROM:<josé@example.test> SIZE=300 SMTPUTF8").await.starts_with("250"));
    assert!(c.say("RCPT TO:<zoë@example.test>").await.starts_with("250"));
    assert!(c.say("DATA").await.starts_with("354"));
    let sent = c.say("Subject: Grüße\r\n\r\nBonjour.\r\n.").await;
    assert!(sent.starts_with("250"), "{sent}");
    assert_eq!(fakes.mail.messages("zoë@example.test")[0].subject, "Grüße");
    // A message too large is refused at its end, and the conversation goes on.
    assert!(c.say("MAIL FROM:<a@example.test>").await.starts_with("250"));
    assert!(c.say("RCPT TO:<b@example.test>").await.starts_with("250"));
    assert!(c.say("DATA").await.starts_with("354"));
    let big = format!("Subject: big\r\n\r\n{}\r\n.", "x".repeat(1200));
    assert!(c.say(&big).await.starts_with("552 "));
    assert!(c.say("RSET").await.starts_with("250"), "the session left DATA");
    // Without credentials configured, AUTH is optional: a client that never logs in sends too.
    let open = start().await;
    let (mut c, _) = Raw::connect(open.mail.addr().port()).await;
    c.say("EHLO client.test").await;
    assert!(c.say("MAIL FROM:<a@example.test>").await.starts_with("250"));
}

/// A client that requires TLS (STARTTLS, and TLS from the first byte) and logs in, as
/// production mail settings do, delivers; the certificate is the fake's own.
#[tokio::test]
async fn lettre_with_required_starttls_and_auth_delivers() {
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    let mut config = FakesConfig::ephemeral();
    config.mail.tls_addr = Some("127.0.0.1:0".parse().unwrap());
    let fakes = Fakes::start(config).await.unwrap();
    let tls = TlsParameters::builder("localhost".into())
        .add_root_certificate(Certificate::from_pem(fakes.mail.certificate_pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let message = |to: &str| {
        Message::builder()
            .from("no-reply@example.test".parse::<Mailbox>().unwrap())
            .to(to.parse().unwrap())
            .subject("Over TLS")
            .body("hello".to_owned())
            .unwrap()
    };
    let starttls = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(fakes.mail.addr().port())
        .tls(Tls::Required(tls.clone()))
        .credentials(Credentials::new("service".into(), "anything".into()))
        .build();
    starttls.send(message("starttls@example.test")).await.unwrap();
    let implicit = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(fakes.mail.tls_addr().unwrap().port())
        .tls(Tls::Wrapper(tls))
        .credentials(Credentials::new("service".into(), "anything".into()))
        .build();
    implicit.send(message("wrapped@example.test")).await.unwrap();
    assert_eq!(fakes.mail.messages("starttls@example.test").len(), 1);
    assert_eq!(fakes.mail.messages("wrapped@example.test").len(), 1);
    assert_eq!(fakes.settings().smtp_tls_fingerprint.len(), 32 * 3 - 1);
}
