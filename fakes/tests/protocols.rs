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
