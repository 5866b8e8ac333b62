//! The web pages, as a person uses them: every form fetched, its CSRF token read from the
//! page, submitted, and redirects followed. Mail and codes come from the fakes.

use std::time::Duration;

use reference_server::RunningServer;

use super::helpers::spawn_app;

struct Person {
    http: reqwest::Client,
    base: String,
}

impl Person {
    fn new(server: &RunningServer) -> Self {
        // Redirects are followed, except to agencies (port 9): nothing listens there, and the
        // test reads where the person was sent instead.
        let policy = reqwest::redirect::Policy::custom(|attempt| {
            if attempt.url().port() == Some(9) { attempt.stop() } else { attempt.follow() }
        });
        let http = reqwest::Client::builder().cookie_store(true).redirect(policy).build().unwrap();
        Self { http, base: server.base_url.clone() }
    }

    async fn get(&self, path_or_url: &str) -> (u16, String) {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.base)
        };
        let response = self.http.get(url).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Opens `page`, then submits the form posting to `action` with `fields` and its CSRF token.
    async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let (status, _, html) = self.submit_to(page, action, fields).await;
        (status, html)
    }

    /// As `submit`, also answering where the person was sent when that is an agency.
    async fn submit_to(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> (u16, Option<String>, String) {
        let (_, html) = self.get(page).await;
        let form_at = html
            .find(&format!("action=\"{action}\""))
            .unwrap_or_else(|| panic!("no form for {action} on {page}:\n{html}"));
        let csrf = html[form_at..]
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        form.extend_from_slice(fields);
        let response = self.http.post(format!("{}{action}", self.base)).form(&form).send().await.unwrap();
        let location = response.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned);
        (response.status().as_u16(), location, response.text().await.unwrap())
    }
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    html.split(start).nth(1).and_then(|rest| rest.split(end).next()).unwrap_or_default()
}

#[tokio::test]
async fn a_person_signs_up_signs_in_resets_and_changes_settings_through_the_pages() {
    let (server, fakes) = spawn_app(|_| {}).await;
    let wait = Duration::from_secs(10);
    let (email, phone) = ("pages@example.test", "+15550999001");
    let me = Person::new(&server);

    // Sign up: email, link, password, phone, code, personal key.
    let (status, html) = me.submit("/sign-up", "/sign-up", &[("email", email)]).await;
    assert_eq!(status, 200);
    assert!(html.contains("Check your email"), "{html}");
    let link = fakes.mail.wait_for_message(email, wait).await.unwrap().links[0].clone();
    // Opening the link (as a mail scanner would, twice) does not use it up.
    let scanner = Person::new(&server);
    for _ in 0..2 {
        let (status, html) = scanner.get(&link).await;
        assert!(status == 200 && html.contains("Confirm your email address"), "{html}");
    }
    let path = link.trim_start_matches(&server.base_url).to_owned();
    let token = between(&path, "token=", "&").to_owned();
    let (status, html) = me.submit(&path, "/sign-up/confirm", &[("token", &token)]).await;
    assert!(status == 200 && html.contains("Create a strong password"), "{html}");
    let (status, _) = scanner.get(&link).await;
    assert_eq!(status, 422, "once used, the link is refused");
    let (_, html) =
        me.submit("/sign-up/password", "/sign-up/password", &[("password", "a fine long passphrase")]).await;
    assert!(html.contains("Add your phone number"), "{html}");
    let (_, html) =
        me.submit("/sign-up/phone", "/sign-up/phone", &[("phone", phone), ("delivery", "sms")]).await;
    assert!(html.contains("Enter your security code"), "{html}");
    let code = fakes.sms.wait_for_code(phone, wait).await.unwrap();
    let (status, html) = me.submit("/sign-up/phone/code", "/sign-up/phone/code", &[("code", &code)]).await;
    assert!(status == 200 && html.contains("Save your personal key"), "{html}");
    let groups: Vec<String> =
        html.split("<span>").skip(1).map(|g| g.split('<').next().unwrap().to_owned()).collect();
    assert_eq!(groups.len(), 4, "{html}");
    let (_, html) = me.submit("/account", "/sign-out", &[]).await;
    assert!(html.contains("Sign in"), "signed out, back at sign-in: {html}");

    // Sign in with a texted code.
    let (_, html) =
        me.submit("/sign-in", "/sign-in", &[("email", email), ("password", "a fine long passphrase")]).await;
    assert!(html.contains("How do you want to get your security code?"), "{html}");
    let cursor = fakes.sms.inbox().cursor();
    let (_, html) = me.submit("/sign-in/choose", "/sign-in/code/send", &[("delivery", "sms")]).await;
    assert!(html.contains("Enter your security code"), "{html}");
    let code = fakes.sms.inbox().wait_after(phone, cursor, wait).await.unwrap().code().unwrap();
    let (_, html) = me.submit("/sign-in/code", "/sign-in/code", &[("code", "000000")]).await;
    assert!(
        html.contains("not right") || code == "000000",
        "a wrong code is refused next to the form: {html}"
    );
    let (_, html) = me.submit("/sign-in/code", "/sign-in/code", &[("code", &code)]).await;
    assert!(html.contains("Your account") && html.contains(email), "{html}");

    // Change the password; a wrong current password is refused with its reason.
    let (status, html) = me
        .submit(
            "/account/password",
            "/account/password",
            &[("current_password", "wrong"), ("new_password", "x y z w v u t")],
        )
        .await;
    assert!(status == 422 && html.contains("not your current password"), "{html}");
    // The refusal is in the summary, next to its field, and typed for programs on <main>.
    assert!(
        html.contains("id=\"error-summary\"") && html.contains("id=\"current_password-error\""),
        "{html}"
    );
    assert!(html.contains("data-outcome=\"rejected\" data-reason=\"current_password_wrong\""), "{html}");
    let changed =
        [("current_password", "a fine long passphrase"), ("new_password", "another long passphrase")];
    let (_, html) = me.submit("/account/password", "/account/password", &changed).await;
    assert!(html.contains("Your password was changed"), "{html}");

    // Change the email address: effective once the link sent to the new address is used.
    let new_email = "pages.new@example.test";
    let change = [("current_password", "another long passphrase"), ("email", new_email)];
    let (_, html) = me.submit("/account/email", "/account/email", &change).await;
    assert!(html.contains("Check the new address"), "{html}");
    let link = fakes.mail.wait_for_message(new_email, wait).await.unwrap().links[0].clone();
    let path = link.trim_start_matches(&server.base_url).to_owned();
    let token = between(&path, "token=", "&").to_owned();
    let (_, html) = me.submit(&path, "/account/email/confirm", &[("token", &token)]).await;
    assert!(html.contains("Your email address was changed") && html.contains(new_email), "{html}");
    let email = new_email;
    me.submit("/account", "/sign-out", &[]).await;

    // Forgot password: reset link, new password, then a code and a new personal key.
    let stranger = Person::new(&server);
    let cursor = fakes.mail.inbox().cursor();
    let (_, html) = stranger.submit("/password/forgot", "/password/forgot", &[("email", email)]).await;
    assert!(html.contains("If we have an account for that address"), "{html}");
    // Mail leaves through the outbox: earlier notices may still be arriving.
    let mut seen = cursor;
    let reset = loop {
        let mail = fakes.mail.inbox().wait_after(email, seen, wait).await.expect("a reset email");
        if mail.subject.contains("Reset") {
            break mail.links[0].clone();
        }
        seen = mail.id;
    };
    let path = reset.trim_start_matches(&server.base_url).to_owned();
    let token = between(&path, "token=", "&").to_owned();
    let (_, html) =
        me.submit(&path, "/password/reset", &[("token", &token), ("password", "the third passphrase")]).await;
    assert!(html.contains("Your password was changed"), "{html}");
    me.submit("/sign-in", "/sign-in", &[("email", email), ("password", "the third passphrase")]).await;
    let (_, html) = me
        .submit(
            "/sign-in/personal-key",
            "/sign-in/personal-key",
            &[("personal_key", &groups.join(" ").to_lowercase())],
        )
        .await;
    assert!(html.contains("Save your personal key"), "signing in with the key shows a new one: {html}");
}

#[tokio::test]
async fn a_person_signs_in_for_an_agency_through_the_pages() {
    use reference_server::config::AgencyConfig;
    use reference_server::rules::oidc::Attribute;
    let callback = "http://127.0.0.1:9/parks/callback";
    let (server, fakes) = spawn_app(|config| {
        config.agencies = vec![AgencyConfig {
            client_id: "parks".into(),
            name: "Parks Agency".into(),
            redirect_uris: vec![callback.into()],
            post_logout_redirect_uris: vec![],
            public_key: None,
            attributes: vec![Attribute::Email],
            verified: false,
        }];
    })
    .await;
    let wait = Duration::from_secs(10);
    let (email, phone, password) = ("agency.pages@example.test", "+15550999002", "a fine long passphrase");
    let me = Person::new(&server);

    // An account, made through the JSON API over the same session.
    let api = |path: &str| format!("{}/api/v1{path}", server.base_url);
    me.http.post(api("/sign-up")).json(&serde_json::json!({ "email": email })).send().await.unwrap();
    let link = fakes.mail.wait_for_message(email, wait).await.unwrap().links[0].clone();
    let token = between(&link, "token=", "&").to_owned();
    me.http.post(api("/sign-up/confirm")).json(&serde_json::json!({ "token": token })).send().await.unwrap();
    me.http
        .post(api("/sign-up/password"))
        .json(&serde_json::json!({ "password": password }))
        .send()
        .await
        .unwrap();
    let body = serde_json::json!({ "phone": phone, "delivery": "sms" });
    me.http.post(api("/sign-up/phone")).json(&body).send().await.unwrap();
    let code = fakes.sms.wait_for_code(phone, wait).await.unwrap();
    me.http
        .post(api("/sign-up/phone/confirm"))
        .json(&serde_json::json!({ "code": code }))
        .send()
        .await
        .unwrap();
    me.submit("/account", "/sign-out", &[]).await;

    // The agency's link leads to sign-in, then consent, then back with a code and the state.
    let verifier = "a-verifier-of-at-least-forty-three-characters-0123456789";
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
    };
    let authorize = format!(
        "/openid_connect/authorize?client_id=parks&redirect_uri={callback}&response_type=code&scope=openid%20email\
         &state=st4te&nonce=n0nce&code_challenge={challenge}&code_challenge_method=S256"
    );
    let (status, html) = me.get(&authorize).await;
    assert!(status == 200 && html.contains("An agency sent you here"), "{html}");
    me.submit("/sign-in", "/sign-in", &[("email", email), ("password", password)]).await;
    let cursor = fakes.sms.inbox().cursor();
    me.submit("/sign-in/choose", "/sign-in/code/send", &[("delivery", "sms")]).await;
    let code = fakes.sms.inbox().wait_after(phone, cursor, wait).await.unwrap().code().unwrap();
    let (_, html) = me.submit("/sign-in/code", "/sign-in/code", &[("code", &code)]).await;
    assert!(html.contains("Share your information?") && html.contains("Parks Agency"), "{html}");
    assert!(
        html.contains("Email address") && !html.contains("Phone number"),
        "exactly what is asked: {html}"
    );
    let (status, location, _) =
        me.submit_to("/openid_connect/consent", "/openid_connect/consent", &[("decision", "allow")]).await;
    assert_eq!(status, 303);
    let location = location.unwrap();
    assert!(location.starts_with(callback) && location.contains("state=st4te"), "{location}");
    let code = between(&location, "code=", "&").to_owned();

    // The agency exchanges it with its PKCE verifier (no session, no CSRF token: a server call).
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("client_id", "parks"),
        ("code_verifier", verifier),
        ("redirect_uri", callback),
    ];
    let agency = reqwest::Client::new();
    let token = format!("{}/api/openid_connect/token", server.base_url);
    let tokens: serde_json::Value =
        agency.post(&token).form(&form).send().await.unwrap().json().await.unwrap();
    assert!(tokens["id_token"].is_string() && tokens["token_type"] == "Bearer", "{tokens}");

    // The account page lists the agency; stopping sharing removes it.
    let (_, html) = me.get("/account").await;
    assert!(html.contains("Parks Agency"), "{html}");
    let (_, html) = me.submit("/account", "/account/agencies/revoke", &[("client_id", "parks")]).await;
    assert!(html.contains("not connected your account to any agency"), "{html}");

    // An unregistered return address: an error page, and no redirect at all.
    let evil = authorize.replace(callback, "https://attacker.example/cb");
    let response = me.http.get(format!("{}{evil}", server.base_url)).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
}

/// An address that leads nowhere is a page a person (and a screen reader) can read, with the
/// viewport every page declares and a way back; the JSON API answers in its own shape.
#[tokio::test]
async fn an_address_that_leads_nowhere_is_a_readable_page() {
    let (server, _fakes) = spawn_app(|_| {}).await;
    let person = Person::new(&server);
    let (status, html) = person.get("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(html.contains("<h1>Page not found</h1>"), "{html}");
    assert!(html.contains(r#"name="viewport""#) && html.contains(r#"lang="en""#), "{html}");
    assert!(html.contains(r#"href="/""#), "a way back: {html}");
    let (status, body) = person.get("/api/v1/no-such-endpoint").await;
    assert_eq!(status, 404);
    let answer: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(answer["reason"], "not_found", "{answer}");
}
