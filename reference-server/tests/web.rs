//! The web pages, as a person uses them: every form fetched, its CSRF token read from the
//! page, submitted, and redirects followed. Mail and codes come from the fakes.

use std::time::Duration;

use fakes::{Fakes, FakesConfig};
use reference_server::{Config, RunningServer};

struct Person {
    http: reqwest::Client,
    base: String,
}

impl Person {
    fn new(server: &RunningServer) -> Self {
        let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
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
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    html.split(start).nth(1).and_then(|rest| rest.split(end).next()).unwrap_or_default()
}

#[tokio::test]
async fn a_person_signs_up_signs_in_resets_and_changes_settings_through_the_pages() {
    let fakes = Fakes::start(FakesConfig::ephemeral()).await.unwrap();
    let mut config = Config::for_tests();
    let s = fakes.settings();
    config.smtp.port = s.smtp_port;
    config.sms.base_url = s.sms_base_url;
    let server = reference_server::start(config).await.unwrap();
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
    let (_, html) = stranger.submit("/password/forgot", "/password/forgot", &[("email", email)]).await;
    assert!(html.contains("If we have an account for that address"), "{html}");
    let reset =
        fakes.mail.messages(email).into_iter().rev().find(|m| m.subject.contains("Reset")).unwrap().links[0]
            .clone();
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
