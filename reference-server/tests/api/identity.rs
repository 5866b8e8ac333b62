//! Identity verification over real HTTP with the fake vendors, and what it leaves at rest
//! (IV-1, IV-3, PV-2): an operator with the database file and `server.key` reads none of the
//! verified identity — not in the profile, the session, the authorization code or the token.

use base64::Engine as _;
use reference_server::RunningServer;
use reference_server::config::AgencyConfig;
use reference_server::rules::oidc::Attribute;
use serde_json::{Value, json};
use sha2::Digest as _;

use super::helpers::spawn_app;
use super::http::{post, signed_in};

const CALLBACK: &str = "http://127.0.0.1:9/census/callback";
/// Values unlikely to appear in a database by chance.
const GIVEN: &str = "Zephyrine";
const FAMILY: &str = "Quillfeather";
const STREET: &str = "742 Evergreen Terrace";
const SSN: &str = "900-12-3456";

fn test_document() -> Vec<u8> {
    json!({ "document": { "first_name": GIVEN, "last_name": FAMILY, "dob": "1971-03-14",
                          "address1": STREET, "city": "Springfield", "state": "OR", "zipcode": "97403" } })
    .to_string()
    .into_bytes()
}

/// A PNG's signature and a marker: what the fake reads as a plain photo.
fn photo(marker: &str) -> Vec<u8> {
    [b"\x89PNG\r\n\x1a\n".as_slice(), marker.as_bytes()].concat()
}

async fn upload(
    http: &reqwest::Client,
    server: &RunningServer,
    front: Vec<u8>,
    selfie: Vec<u8>,
) -> (u16, Value) {
    let part = |bytes: Vec<u8>, name: &str, mime: &str| {
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).unwrap()
    };
    let form = reqwest::multipart::Form::new()
        .part("front", part(front, "front.json", "application/json"))
        .part("back", part(photo("back-of-the-card"), "back.png", "image/png"))
        .part("selfie", part(selfie, "selfie.png", "image/png"));
    let response = http
        .post(format!("{}/api/v1/verification/documents", server.base_url))
        .header("X-Requested-With", "test")
        .multipart(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

fn census() -> AgencyConfig {
    AgencyConfig {
        client_id: "census".into(),
        name: "Census Agency".into(),
        redirect_uris: vec![CALLBACK.into()],
        post_logout_redirect_uris: vec![],
        public_key: None,
        attributes: vec![
            Attribute::Email,
            Attribute::Name,
            Attribute::Birthdate,
            Attribute::Address,
            Attribute::Ssn,
        ],
        verified: true,
    }
}

/// Verifies through the API; returns the personal key.
async fn verify(http: &reqwest::Client, server: &RunningServer, password: &str) -> String {
    let (status, body) = post(http, server, "/verification/consent", json!({ "agree": true })).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = upload(http, server, test_document(), photo("a-face")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["document"]["given_name"], GIVEN, "{body}");
    let (status, body) = post(http, server, "/verification/ssn", json!({ "ssn": SSN })).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(http, server, "/verification/password", json!({ "password": password })).await;
    assert_eq!(status, 200, "{body}");
    body["personal_key"].as_str().expect("a new personal key").to_owned()
}

/// The agency's whole round: authorize (verified, PKCE), consent, code, token, userinfo.
async fn agency_round(http: &reqwest::Client, server: &RunningServer) -> (String, Value, Value) {
    let verifier = "a-code-verifier-long-enough-to-satisfy-rfc-7636-rules";
    let challenge =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("client_id", "census"),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("scope", "openid email profile:name profile:birthdate address social_security_number"),
            ("state", "s-1234567890"),
            ("nonce", "n-1234567890"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("acr_values", "urn:acr.login.gov:verified"),
        ])
        .finish();
    let response =
        http.get(format!("{}/api/v1/agency/authorize?{query}", server.base_url)).send().await.unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["next"], "consent", "{body}");
    let (status, body) = post(http, server, "/agency/consent", json!({ "allow": true })).await;
    assert_eq!(status, 200, "{body}");
    let redirect = url::Url::parse(body["redirect_to"].as_str().unwrap()).unwrap();
    let code = redirect.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let token: Value = reqwest::Client::new()
        .post(format!("{}/api/openid_connect/token", server.base_url))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier),
            ("client_id", "census"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = token["access_token"].as_str().unwrap_or_else(|| panic!("{token}")).to_owned();
    let userinfo: Value = reqwest::Client::new()
        .get(format!("{}/api/openid_connect/userinfo", server.base_url))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (access, token, userinfo)
}

#[tokio::test]
async fn verified_identity_reaches_the_agency_and_nobody_else() {
    let (server, fakes) = spawn_app(|config| config.agencies = vec![census()]).await;
    let password = "a passphrase to keep";
    let http = signed_in(&server, &fakes, "verified.person@example.test", password, "+15550123477").await;
    verify(&http, &server, password).await;
    let (_, token, userinfo) = agency_round(&http, &server).await;

    // The agency gets what was consented, and nothing about how verification went (IV-3).
    assert_eq!(userinfo["given_name"], GIVEN, "{userinfo}");
    assert_eq!(userinfo["family_name"], FAMILY);
    assert_eq!(userinfo["birthdate"], "1971-03-14");
    assert_eq!(userinfo["address"]["street_address"], STREET);
    assert_eq!(userinfo["social_security_number"], "900123456");
    let expected = [
        "sub",
        "email",
        "email_verified",
        "given_name",
        "family_name",
        "birthdate",
        "address",
        "social_security_number",
    ];
    for key in userinfo.as_object().unwrap().keys() {
        assert!(expected.contains(&key.as_str()), "userinfo carries {key}: {userinfo}");
    }
    let claims = token["id_token"].as_str().unwrap().split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims).unwrap())
            .unwrap();
    assert_eq!(claims["acr"], "urn:acr.login.gov:verified");

    // The images went to the vendor, which saw three of them, and nowhere else.
    let checks = fakes.proofing.checks.all();
    assert_eq!(checks.iter().filter(|c| c.service == "documents").count(), 1);

    // At rest: no plaintext, and nothing sealed opens with what the operator holds (PV-2).
    let bytes = super::helpers::stored_bytes(&server).await;
    for plain in [GIVEN, FAMILY, STREET, "900123456", "1971-03-14", "a-face", "back-of-the-card"] {
        assert!(
            !bytes.windows(plain.len()).any(|w| w == plain.as_bytes()),
            "{plain} is stored in plain text"
        );
    }
    let keys = reference_server::operator_keys(&server.services.config.data_dir).unwrap();
    let mut conn = server.services.store.read().await.unwrap();
    let mut sealed: Vec<String> = Vec::new();
    for query in [
        "SELECT identity_sealed FROM verified_profiles",
        "SELECT key_by_password FROM verified_profiles",
        "SELECT key_by_personal_key FROM verified_profiles",
        "SELECT identity_sealed FROM authorization_codes",
        "SELECT identity_sealed FROM access_tokens",
    ] {
        let values: Vec<Option<String>> = sqlx::query_scalar(query).fetch_all(&mut *conn).await.unwrap();
        assert!(values.iter().any(Option::is_some), "{query} found nothing: the test would prove nothing");
        sealed.extend(values.into_iter().flatten());
    }
    for value in &sealed {
        for key in &keys {
            assert!(reference_server::sealing::open(key, value).is_err(), "an operator's key opens {value}");
        }
    }
    // Sessions are sealed under the server's key (they must be read without the person), but
    // the verified identity's key inside them is sealed again under the cookie's.
    let states: Vec<String> =
        sqlx::query_scalar("SELECT state FROM sessions").fetch_all(&mut *conn).await.unwrap();
    assert!(!states.is_empty());
    let mut vaults = 0;
    for state in states {
        let opened =
            keys.iter().find_map(|k| reference_server::sealing::open(k, &state).ok()).expect("opens");
        let state: Value = serde_json::from_slice(&opened).unwrap();
        let text = state.to_string();
        assert!(!text.contains(GIVEN) && !text.contains("identity_key"), "{text}");
        if let Some(vault) = state["vault"].as_str() {
            vaults += 1;
            for key in &keys {
                assert!(
                    reference_server::sealing::open(key, vault).is_err(),
                    "an operator's key opens the vault"
                );
            }
        }
    }
    assert!(vaults > 0, "the signed-in session holds a vault");
}

#[tokio::test]
async fn failed_checks_say_why_and_count_against_the_limit() {
    let (server, fakes) = spawn_app(|config| config.policy.verification_attempt_limit = 2).await;
    let http =
        signed_in(&server, &fakes, "failing.person@example.test", "a passphrase to keep", "+15550123478")
            .await;
    let (status, body) = upload(&http, &server, test_document(), photo("x")).await;
    assert_eq!((status, body["reason"].as_str()), (422, Some("verification_consent_required")), "{body}");
    post(&http, &server, "/verification/consent", json!({ "agree": true })).await;
    let expired = br#"{"failed_alerts":[{"name":"Document Expired"}]}"#.to_vec();
    let (status, body) = upload(&http, &server, expired, photo("x")).await;
    assert_eq!((status, body["reason"].as_str()), (422, Some("document_expired")), "{body}");
    let mismatch = br#"{"portrait_match":"Fail"}"#.to_vec();
    let (status, body) = upload(&http, &server, test_document(), mismatch).await;
    assert_eq!((status, body["reason"].as_str()), (422, Some("selfie_mismatch")), "{body}");
    let (status, body) = upload(&http, &server, test_document(), photo("x")).await;
    assert_eq!((status, body["outcome"].as_str()), (429, Some("rate_limited")), "{body}");
    let (status, body) = upload(&http, &server, b"GIF89a not a photo".to_vec(), photo("x")).await;
    assert_eq!((status, body["reason"].as_str()), (422, Some("unsupported_image")), "{body}");
    // Without the custom header, an upload is refused (another site's form cannot send one).
    let form = reqwest::multipart::Form::new().text("front", "x");
    let response = http
        .post(format!("{}/api/v1/verification/documents", server.base_url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

/// In person (IV-2) through the API, up to the enrollment; returns its code.
async fn enroll_in_person(http: &reqwest::Client, server: &RunningServer, password: &str) -> String {
    let (status, body) = post(http, server, "/verification/consent", json!({ "agree": true })).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) =
        post(http, server, "/verification/in-person/post-offices", json!({ "zip": "00000" })).await;
    assert_eq!((status, body["reason"].as_str()), (422, Some("no_post_office_nearby")), "{body}");
    let (status, body) =
        post(http, server, "/verification/in-person/post-offices", json!({ "zip": "2215" })).await;
    assert_eq!((status, body["reason"].as_str()), (422, Some("zip_invalid")), "{body}");
    let (status, body) =
        post(http, server, "/verification/in-person/post-offices", json!({ "zip": "22150" })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["post_offices"].as_array().map(Vec::len), Some(3), "{body}");
    let (status, body) =
        post(http, server, "/verification/in-person/post-office", json!({ "post_office": 7 })).await;
    assert_eq!((status, body["reason"].as_str()), (422, Some("post_office_unknown")), "{body}");
    let (status, body) =
        post(http, server, "/verification/in-person/post-office", json!({ "post_office": 1 })).await;
    assert_eq!((status, body["post_office"]["name"].as_str()), (200, Some("NORTH SPRINGFIELD")), "{body}");
    let mut details = json!({ "given_name": GIVEN, "family_name": FAMILY, "birthdate": "1971-02-30",
        "street_address": STREET, "city": "Springfield", "state": "OR", "zip": "97403" });
    let (status, body) = post(http, server, "/verification/in-person/details", details.clone()).await;
    assert_eq!((status, body["reason"].as_str()), (422, Some("id_details_invalid")), "{body}");
    details["birthdate"] = json!("1971-03-14");
    let (status, body) = post(http, server, "/verification/in-person/details", details).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(http, server, "/verification/ssn", json!({ "ssn": SSN })).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post(http, server, "/verification/password", json!({ "password": password })).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["personal_key"].is_string(), "{body}");
    body["enrollment"]["enrollment_code"]
        .as_str()
        .unwrap_or_else(|| panic!("no enrollment: {body}"))
        .to_owned()
}

async fn status(http: &reqwest::Client, server: &RunningServer) -> Value {
    let response = http.get(format!("{}/api/v1/verification", server.base_url)).send().await.unwrap();
    response.json().await.unwrap()
}

#[tokio::test]
async fn in_person_verification_counts_once_the_post_office_says_so() {
    use fakes::proofing::in_person::Result as Visit;
    let (server, fakes) = spawn_app(|config| config.agencies = vec![census()]).await;
    let password = "a passphrase to keep";
    let email = "post.office@example.test";
    let http = signed_in(&server, &fakes, email, password, "+15550123479").await;
    let code = enroll_in_person(&http, &server, password).await;
    let body = status(&http, &server).await;
    assert_eq!(body["status"], "in_person_pending", "{body}");
    assert_eq!(body["enrollment"]["enrollment_code"], code.as_str());
    assert_eq!(body["enrollment"]["post_office"]["name"], "NORTH SPRINGFIELD");

    // Nothing yet from the Post Office: still pending, and an agency still sends the person to verify.
    assert_eq!(server.services.check_in_person_results().await.unwrap(), 0);
    assert_eq!(status(&http, &server).await["status"], "in_person_pending");
    assert_eq!(fakes.proofing.enrollments.all()[0].polled, 1);

    let before = fakes.mail.messages(email).last().map_or(0, |m| m.id);
    assert!(fakes.proofing.enrollments.set_result(&code, Visit::Passed));
    assert_eq!(server.services.check_in_person_results().await.unwrap(), 1);
    assert_eq!(server.services.check_in_person_results().await.unwrap(), 0, "decided once");
    let body = status(&http, &server).await;
    assert_eq!(body["status"], "verified", "{body}");
    let mail = fakes.mail.inbox().wait_after(email, before, std::time::Duration::from_secs(10)).await;
    assert_eq!(mail.map(|m| m.subject), Some("Your identity was verified at the Post Office".to_owned()));
    let (_, _, userinfo) = agency_round(&http, &server).await;
    assert_eq!(userinfo["given_name"], GIVEN, "{userinfo}");
}

#[tokio::test]
async fn an_enrollment_ends_failed_or_expired_and_its_identity_is_deleted() {
    use fakes::proofing::in_person::Result as Visit;
    let (server, fakes) = spawn_app(|_| {}).await;
    let password = "a passphrase to keep";
    let failing = signed_in(&server, &fakes, "fails.there@example.test", password, "+15550123480").await;
    let failed_code = enroll_in_person(&failing, &server, password).await;
    let late = signed_in(&server, &fakes, "never.goes@example.test", password, "+15550123481").await;
    enroll_in_person(&late, &server, password).await;

    // A pass pages through every pending enrollment, however small the page.
    let store = &server.services.store;
    let first = store.pending_enrollments(None, 1).await.unwrap();
    let last = first.last().map(|e| (e.deadline, e.account_id));
    let second = store.pending_enrollments(last, 1).await.unwrap();
    let last = second.last().map(|e| (e.deadline, e.account_id));
    assert_eq!((first.len(), second.len()), (1, 1));
    assert_ne!(first[0].account_id, second[0].account_id);
    assert!(store.pending_enrollments(last, 1).await.unwrap().is_empty());

    assert!(fakes.proofing.enrollments.set_result(&failed_code, Visit::Failed));
    assert_eq!(server.services.check_in_person_results().await.unwrap(), 1);
    assert_eq!(status(&failing, &server).await["status"], "in_person_failed");
    assert_eq!(status(&late, &server).await["status"], "in_person_pending");

    // The deadline, by the service clock: a check a moment before it leaves it pending; after, expired.
    let deadline = server.services.policy.in_person_deadline_secs;
    server.clock.advance(time::Duration::seconds(i64::try_from(deadline).unwrap())).unwrap();
    assert_eq!(server.services.check_in_person_results().await.unwrap(), 0);
    server.clock.advance(time::Duration::seconds(1)).unwrap();
    assert_eq!(server.services.check_in_person_results().await.unwrap(), 1);

    // (A month on, the sessions have ended: the store says how each enrollment ended.) Neither
    // sealed identity is kept once it can no longer count.
    let mut conn = server.services.store.read().await.unwrap();
    let ended: Vec<String> = sqlx::query_scalar("SELECT status FROM in_person_enrollments ORDER BY status")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert_eq!(ended, ["expired", "failed"]);
    let profiles: i64 =
        sqlx::query_scalar("SELECT count(*) FROM verified_profiles").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(profiles, 0);
}

/// The reference server's own bound on what it keeps for an agency's request (no requirement
/// sets one): a `state` and a `nonce` of 1,024 characters are taken; one character more is
/// refused with `invalid_request`, sent back to the agency's registered address.
#[tokio::test]
async fn state_and_nonce_past_1024_characters_are_refused() {
    let (server, _fakes) = spawn_app(|config| config.agencies = vec![census()]).await;
    let http = reqwest::Client::new();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(b"v"));
    for (state, nonce, refused) in [(1024, 1024, false), (1025, 8, true), (8, 1025, true)] {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("client_id", "census"),
                ("redirect_uri", CALLBACK),
                ("response_type", "code"),
                ("scope", "openid email"),
                ("state", "s".repeat(state).as_str()),
                ("nonce", "n".repeat(nonce).as_str()),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
            ])
            .finish();
        let response =
            http.get(format!("{}/api/v1/agency/authorize?{query}", server.base_url)).send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        let error = body["redirect_to"].as_str().and_then(|to| url::Url::parse(to).ok()).and_then(|to| {
            to.query_pairs().find(|(k, _)| k == "error_description").map(|(_, v)| v.into_owned())
        });
        assert!(status.is_success(), "state {state}, nonce {nonce}: {status} {body}");
        if refused {
            assert_eq!(
                error.as_deref(),
                Some("state and nonce must be at most 1024 characters."),
                "state {state}, nonce {nonce}: {body}"
            );
        } else {
            assert_eq!(error, None, "state {state}, nonce {nonce}: {body}");
            assert_eq!(body["next"], "sign_in", "{body}");
        }
    }
}

/// The reference server's own bounds on an upload (no requirement sets them): an image of
/// exactly `max_image_bytes` is taken and one byte more is refused; a test document is an
/// upload only where `accept_test_documents` allows it.
#[tokio::test]
async fn uploads_are_taken_up_to_the_size_limit_and_test_documents_only_where_allowed() {
    const MAX: usize = 4096;
    let (server, fakes) = spawn_app(|config| {
        config.proofing.max_image_bytes = MAX;
        config.proofing.accept_test_documents = false;
    })
    .await;
    let http =
        signed_in(&server, &fakes, "upload.bounds@example.test", "a passphrase to keep", "+15550123479")
            .await;
    post(&http, &server, "/verification/consent", json!({ "agree": true })).await;
    let (status, body) = upload(&http, &server, test_document(), photo("x")).await;
    assert_eq!((status, body["reason"].as_str()), (422, Some("unsupported_image")), "{body}");
    let padded = |len: usize| {
        let mut image = photo("front-of-the-card");
        image.resize(len, b'.');
        image
    };
    let (status, body) = upload(&http, &server, padded(MAX + 1), photo("x")).await;
    assert_eq!((status, body["reason"].as_str()), (422, Some("image_too_large")), "{body}");
    assert_eq!(body["message"], "Each photo must be at most 4 KB.", "{body}");
    let (status, body) = upload(&http, &server, padded(MAX), photo("x")).await;
    assert_eq!(status, 200, "an image of exactly the limit is taken: {body}");
}
