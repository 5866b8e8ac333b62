//! The browser driver: a real Chromium (through ChromeDriver and `fantoccini`) using the web
//! pages as a person does — fields found by their label text, buttons by their words.
//!
//! What a page answered is read from the page contract: `<main>` carries `data-outcome`,
//! `data-reason` and `data-at` when the page shows a refusal (the JSON API's values); a page
//! without them accepted the action. Labels and paths default to the reference pages' and can
//! be overridden in the target file's `[browser]` section for another implementation.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Delivery, Driver, Exchange, Outcome, Strength};

/// Another implementation's wording: `labels` and `paths` map the reference pages' words and
/// paths to its own.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wording {
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub paths: BTreeMap<String, String>,
}

impl Wording {
    fn label<'a>(&'a self, words: &'a str) -> &'a str {
        self.labels.get(words).map_or(words, String::as_str)
    }

    fn path<'a>(&'a self, path: &'a str) -> &'a str {
        self.paths.get(path).map_or(path, String::as_str)
    }
}

/// Where the browser driver's sessions come from.
#[derive(Clone, Debug)]
pub struct BrowserSettings {
    pub webdriver_url: String,
    pub chrome: String,
    pub wording: Wording,
}

pub struct BrowserDriver {
    base: String,
    settings: BrowserSettings,
    client: Option<Client>,
    transcript: Vec<Exchange>,
    /// What the page showed after the last navigation or button press.
    last: Value,
}

/// An XPath string literal for any text (XPath 1.0 has no escapes).
fn literal(text: &str) -> String {
    if !text.contains('\'') {
        return format!("'{text}'");
    }
    let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
    format!("concat({})", parts.join(", \"'\", "))
}

/// Clicks a submit button and waits (bounded) for the page it leads to: the old document is
/// marked first, so an answer at the same address still counts as a new page.
async fn click_and_wait(client: &Client, button: fantoccini::elements::Element) -> anyhow::Result<()> {
    client.execute("document.documentElement.setAttribute('data-driver-old', '')", vec![]).await?;
    button.click().await?;
    client
        .wait()
        .at_most(Duration::from_secs(15))
        .every(Duration::from_millis(20))
        .for_element(Locator::Css("html:not([data-driver-old])"))
        .await
        .context("no new page within 15 s of pressing the button")?;
    Ok(())
}

fn delivery_label(delivery: Delivery) -> &'static str {
    match delivery {
        Delivery::Sms => "Text message (SMS)",
        Delivery::Voice => "Phone call",
    }
}

impl BrowserDriver {
    pub fn new(base_url: &str, settings: BrowserSettings) -> Self {
        Self {
            base: base_url.trim_end_matches('/').to_owned(),
            settings,
            client: None,
            transcript: Vec::new(),
            last: Value::Null,
        }
    }

    /// The browser session, started on first use (a fresh profile: no cookies).
    async fn browser(&mut self) -> anyhow::Result<&Client> {
        if self.client.is_none() {
            let mut capabilities = serde_json::Map::new();
            // Pages are read once their document is parsed; nothing waits on images or fonts.
            capabilities.insert("pageLoadStrategy".into(), json!("eager"));
            capabilities.insert(
                "goog:chromeOptions".into(),
                json!({
                    "binary": self.settings.chrome,
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                             "--disable-dev-shm-usage", "--window-size=1280,900", "--no-first-run"],
                }),
            );
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            let client = ClientBuilder::new(connector)
                .capabilities(capabilities)
                .connect(&self.settings.webdriver_url)
                .await
                .context("cannot start a Chromium session through ChromeDriver")?;
            self.client = Some(client);
        }
        Ok(self.client.as_ref().expect("started above"))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, self.settings.wording.path(path))
    }

    async fn open(&mut self, path_or_url: &str) -> anyhow::Result<()> {
        let url =
            if path_or_url.starts_with("http") { path_or_url.to_owned() } else { self.url(path_or_url) };
        self.browser().await?.goto(&url).await.with_context(|| format!("cannot open {url}"))?;
        self.record(format!("GET {url}")).await?;
        Ok(())
    }

    /// The path the browser shows, or `None` when it left the target (an agency's address).
    async fn path(&mut self) -> anyhow::Result<Option<String>> {
        let Some(url) = self.last["url"].as_str().and_then(|u| url::Url::parse(u).ok()) else {
            return Ok(None);
        };
        let base = url::Url::parse(&self.base)?;
        Ok((url.origin() == base.origin()).then(|| url.path().to_owned()))
    }

    /// Opens `path` unless the browser is on it already; `false` when the target sent the
    /// browser elsewhere (to sign in, for a step that needs a session).
    async fn be_on(&mut self, path: &str) -> anyhow::Result<bool> {
        let wanted = self.settings.wording.path(path).to_owned();
        if self.path().await?.as_deref() != Some(wanted.as_str()) {
            self.open(path).await?;
        }
        Ok(self.path().await?.as_deref() == Some(wanted.as_str()))
    }

    /// The strength meter once it shows `password`'s score (a person reads it before going on;
    /// it also moves the button below it). `None` when the page has no meter.
    async fn meter(&mut self, password: &str) -> anyhow::Result<Option<fantoccini::elements::Element>> {
        let client = self.browser().await?.clone();
        if client.find(Locator::Css("input[data-strength]")).await.is_err() {
            return Ok(None);
        }
        let length = password.chars().count();
        let meter = client
            .wait()
            .at_most(Duration::from_secs(10))
            .every(Duration::from_millis(20))
            .for_element(Locator::Css(&format!(".strength[data-length='{length}'][data-score]")))
            .await
            .context("the strength meter did not answer within 10 s")?;
        Ok(Some(meter))
    }

    /// Types a new password where a strength meter may follow it.
    async fn fill_new_password(&mut self, label: &str, password: &str) -> anyhow::Result<()> {
        self.fill(label, password).await?;
        self.meter(password).await?;
        Ok(())
    }

    async fn fill(&mut self, label: &str, value: &str) -> anyhow::Result<()> {
        let label = self.settings.wording.label(label).to_owned();
        let client = self.browser().await?;
        let xpath = format!("//*[@id=//label[normalize-space()={}]/@for]", literal(&label));
        let field = client
            .find(Locator::XPath(&xpath))
            .await
            .with_context(|| format!("no field labelled {label:?} (a <label for> naming it) on this page"))?;
        field.clear().await?;
        field.send_keys(value).await?;
        Ok(())
    }

    /// Ticks the radio button or checkbox labelled `label`.
    async fn choose(&mut self, label: &str) -> anyhow::Result<()> {
        let label = self.settings.wording.label(label).to_owned();
        let client = self.browser().await?;
        client
            .find(Locator::XPath(&format!("//label[normalize-space()={}]", literal(&label))))
            .await
            .with_context(|| format!("no choice labelled {label:?} on this page"))?
            .click()
            .await?;
        Ok(())
    }

    async fn press(&mut self, button: &str) -> anyhow::Result<()> {
        let button = self.settings.wording.label(button).to_owned();
        let path = self.path().await?.unwrap_or_default();
        let client = self.browser().await?.clone();
        let element = client
            .find(Locator::XPath(&format!("//button[normalize-space()={}]", literal(&button))))
            .await
            .with_context(|| format!("no button {button:?} on {path}"))?;
        click_and_wait(&client, element).await?;
        self.record(format!("press {button:?} on {path}")).await?;
        Ok(())
    }

    /// Everything the driver reads from a page, in one round trip: where it is, the outcome
    /// attributes of `<main>`, and what an accepted page shows.
    async fn snapshot(&mut self) -> anyhow::Result<Value> {
        const READ: &str = r##"
            const main = document.querySelector("main");
            const text = (sel) => { const e = document.querySelector(sel); return e ? e.innerText.trim() : null; };
            const dd = (label) => {
              for (const dt of document.querySelectorAll("dt")) {
                if (dt.innerText.trim() === label) { const d = dt.nextElementSibling; return d ? d.innerText.trim() : null; }
              }
              return null;
            };
            const link = document.querySelector("a[href^='otpauth:']");
            const navigation = performance.getEntriesByType("navigation")[0];
            return {
              url: location.href,
              // The HTTP status of this document (Chromium 109+); 0 when the browser cannot tell.
              status: navigation && navigation.responseStatus ? navigation.responseStatus : 0,
              fields: Array.from(document.querySelectorAll("form input, form select, form textarea"))
                .filter(e => e.type !== "hidden").map(e => e.name || e.id).sort(),
              outcome: main && main.getAttribute("data-outcome"),
              reason: main && main.getAttribute("data-reason"),
              at: main && main.getAttribute("data-at"),
              message: text("#error-summary") || text("main p"),
              text: main ? main.innerText : document.body ? document.body.innerText : "",
              title: text("h1"),
              personal_key: Array.from(document.querySelectorAll(".personal-key span")).map(s => s.innerText.trim()).join("-"),
              secret: text("#authenticator-secret"),
              otpauth_uri: link && link.getAttribute("href"),
              agency: text("#agency-name"),
              attributes: Array.from(document.querySelectorAll("[data-attribute]")).map(e => e.getAttribute("data-attribute")),
              email: dd(arguments[0]),
              phone: dd(arguments[1]),
              agencies: Array.from(document.querySelectorAll("form[action*='/account/agencies/revoke'] input[name=client_id]")).map(i => i.value),
            };
        "##;
        let wording = &self.settings.wording;
        let args = vec![json!(wording.label("Email address")), json!(wording.label("Phone number"))];
        let client = self.browser().await?;
        client.execute(READ, args).await.context("cannot read the page")
    }

    /// Keeps what the page said, for the report (its text, not its markup) and for comparing
    /// two answers: its address, HTTP status, outcome, visible text and form fields.
    async fn record(&mut self, request: String) -> anyhow::Result<Value> {
        let page = self.snapshot().await?;
        let status = page["status"].as_u64().and_then(|s| u16::try_from(s).ok()).unwrap_or(0);
        let path = url::Url::parse(page["url"].as_str().unwrap_or_default())
            .map(|u| u.path().to_owned())
            .unwrap_or_default();
        let fields: Vec<&str> =
            page["fields"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let mut response = format!(
            "page {path}{}\nfields: {}\n{}",
            page["outcome"]
                .as_str()
                .map(|o| format!(" ({o} {})", page["reason"].as_str().unwrap_or("")))
                .unwrap_or_default(),
            fields.join(", "),
            page["text"].as_str().unwrap_or_default()
        );
        // What the page shows in structured form (a personal key is shown in groups; here it
        // is whole, as the API gives it).
        for key in ["personal_key", "secret"] {
            if let Some(value) = page[key].as_str().filter(|v| !v.is_empty()) {
                response.push_str(&format!("\n{}", json!({ key: value })));
            }
        }
        self.transcript.push(Exchange { request, status, response });
        self.last = page.clone();
        Ok(page)
    }

    /// What the page shown after the last navigation or press says about the action.
    async fn outcome(&mut self) -> anyhow::Result<Outcome> {
        self.read(&self.last)
    }

    fn read(&self, page: &Value) -> anyhow::Result<Outcome> {
        let text = |k: &str| page[k].as_str().unwrap_or_default().to_owned();
        let url = url::Url::parse(&text("url")).context("the browser shows no URL")?;
        let base = url::Url::parse(&self.base)?;
        // A server error is a failure whatever the page says (and however it is worded).
        let status = page["status"].as_u64().and_then(|s| u16::try_from(s).ok()).unwrap_or(0);
        if status >= 500 {
            return Ok(Outcome::Unexpected {
                status,
                body: format!(
                    "HTTP {status} at {}: {}",
                    url.path(),
                    text("text").lines().take(5).collect::<Vec<_>>().join(" / ")
                ),
            });
        }
        if url.origin() != base.origin() {
            return Ok(Outcome::Accepted {
                details: json!({ "next": "redirect", "redirect_to": url.as_str() }),
            });
        }
        let at = page["at"].as_str().and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
        let (reason, message) = (text("reason"), text("message"));
        Ok(match page["outcome"].as_str() {
            None => Outcome::Accepted { details: self.details(url.path(), page) },
            Some("rejected") => Outcome::Rejected { reason, message },
            Some("rate_limited") => Outcome::RateLimited { retry_at: at, message },
            Some("locked") => Outcome::Locked { until: at, message },
            Some("signed_out") => Outcome::SignedOut { locked_until: at },
            Some("invalid_request") => Outcome::Invalid { status: 400, reason },
            Some(other) => Outcome::Unexpected { status: 0, body: format!("{other}: {message}") },
        })
    }

    /// What an accepted page shows that scenarios read: where it is, and any personal key,
    /// authenticator secret, consent question or account details on it.
    fn details(&self, path: &str, page: &Value) -> Value {
        let paths = &self.settings.wording;
        let mut details = json!({ "page": path, "title": page["title"] });
        let next = match path {
            p if p == paths.path("/sign-in") => Some("sign_in"),
            p if p == paths.path("/openid_connect/consent") => Some("consent"),
            p if p == paths.path("/sign-in/choose") => Some("second_factor"),
            p if p == paths.path("/account") => Some("account"),
            _ => None,
        };
        if let Some(next) = next {
            details["next"] = json!(next);
        }
        if page["personal_key"].as_str().is_some_and(|k| !k.is_empty()) {
            details["personal_key"] = page["personal_key"].clone();
            details["next"] = json!("save_personal_key");
        }
        for key in ["secret", "otpauth_uri"] {
            if page[key].is_string() {
                details[key] = page[key].clone();
            }
        }
        match next {
            Some("consent") => {
                details["agency"] = page["agency"].clone();
                details["attributes"] = page["attributes"].clone();
            }
            Some("account") => {
                details["email"] = page["email"].clone();
                details["phone"] = page["phone"].clone();
                let agencies: Vec<Value> = page["agencies"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|id| json!({ "client_id": id }))
                    .collect();
                details["agencies"] = json!(agencies);
            }
            _ => {}
        }
        details
    }

    /// Submits on the current page and reads the answer.
    async fn submit(&mut self, button: &str) -> anyhow::Result<Outcome> {
        self.press(button).await?;
        self.outcome().await
    }

    /// Opens a page that needs a session; answers "signed out" when the target sends the
    /// browser elsewhere instead.
    async fn open_signed_in(&mut self, path: &str) -> anyhow::Result<Option<Outcome>> {
        if self.be_on(path).await? {
            return Ok(None);
        }
        let outcome = self.outcome().await?;
        Ok(Some(match outcome {
            Outcome::Accepted { .. } => Outcome::SignedOut { locked_until: None },
            refused => refused,
        }))
    }

    /// Follows a link (emailed, or an agency's) and reads where it leads.
    async fn follow(&mut self, link: &str) -> anyhow::Result<Outcome> {
        self.open(link).await?;
        self.outcome().await
    }

    /// An emailed link opens a page with one button that uses it (mail scanners only open).
    async fn use_link(&mut self, link: &str, button: &str) -> anyhow::Result<Option<Outcome>> {
        match self.follow(link).await? {
            Outcome::Accepted { .. } => {
                self.press(button).await?;
                Ok(None)
            }
            refused => Ok(Some(refused)),
        }
    }
}

#[async_trait]
impl Driver for BrowserDriver {
    async fn new_session(&mut self) -> anyhow::Result<()> {
        // A new device, as far as the target can tell: none of its cookies (faster than a new
        // browser, and the same to the service).
        if self.client.is_some() {
            if self.path().await?.is_none() {
                self.open("/").await?;
            }
            self.browser().await?.delete_all_cookies().await?;
            self.last = Value::Null;
        }
        Ok(())
    }

    async fn start_sign_up(&mut self, email: &str) -> anyhow::Result<Outcome> {
        self.open("/sign-up").await?;
        self.fill("Email address", email).await?;
        self.submit("Submit").await
    }

    async fn resend_confirmation(&mut self) -> anyhow::Result<Outcome> {
        self.open("/sign-up/check-email").await?;
        if self.last["outcome"].is_string() || self.press("Send again").await.is_err() {
            // Refused, or no sign-up to resend for: the page says which.
            return match self.outcome().await? {
                Outcome::Accepted { .. } => Ok(Outcome::Rejected {
                    reason: "no_sign_up_in_progress".into(),
                    message: self.last["text"].as_str().unwrap_or_default().to_owned(),
                }),
                refused => Ok(refused),
            };
        }
        self.outcome().await
    }

    async fn confirm_email(&mut self, link: &str) -> anyhow::Result<Outcome> {
        if let Some(refused) = self.use_link(link, "Continue").await? {
            return Ok(refused);
        }
        self.outcome().await
    }

    async fn choose_password(&mut self, password: &str) -> anyhow::Result<Outcome> {
        self.be_on("/sign-up/password").await?;
        if self.fill_new_password("Password", password).await.is_err() {
            // The page did not offer a password field: say why, as the page does.
            return match self.outcome().await? {
                Outcome::Accepted { .. } => Ok(Outcome::Rejected {
                    reason: "email_not_confirmed".into(),
                    message: self.last["text"].as_str().unwrap_or_default().to_owned(),
                }),
                refused => Ok(refused),
            };
        }
        self.submit("Continue").await
    }

    async fn password_strength(&mut self, password: &str) -> anyhow::Result<Strength> {
        self.be_on("/sign-up/password").await?;
        self.fill("Password", password).await?;
        let meter = self.meter(password).await?.context("this page has no strength meter")?;
        let score: u8 = meter.attr("data-score").await?.unwrap_or_default().parse().unwrap_or(0);
        let mut suggestions = Vec::new();
        for item in meter.find_all(Locator::Css(".strength-advice li")).await? {
            suggestions.push(item.text().await?);
        }
        Ok(Strength { score, warning: None, suggestions })
    }

    async fn add_phone(&mut self, phone: &str, delivery: Delivery) -> anyhow::Result<Outcome> {
        if let Some(refused) = self.open_signed_in("/sign-up/phone").await? {
            return Ok(refused);
        }
        self.fill("Phone number", phone).await?;
        self.choose(delivery_label(delivery)).await?;
        self.submit("Send code").await
    }

    async fn resend_phone_code(&mut self, delivery: Delivery) -> anyhow::Result<Outcome> {
        if let Some(refused) = self.open_signed_in("/sign-up/phone/code").await? {
            return Ok(refused);
        }
        let button = match delivery {
            Delivery::Sms => "Text me a new code",
            Delivery::Voice => "Call me with a new code",
        };
        self.submit(button).await
    }

    async fn confirm_phone(&mut self, code: &str) -> anyhow::Result<Outcome> {
        if let Some(refused) = self.open_signed_in("/sign-up/phone/code").await? {
            return Ok(refused);
        }
        self.fill("Security code", code).await?;
        self.submit("Submit").await
    }

    async fn sign_in(&mut self, email: &str, password: &str) -> anyhow::Result<Outcome> {
        self.open("/sign-in").await?;
        self.fill("Email address", email).await?;
        self.fill("Password", password).await?;
        self.submit("Sign in").await
    }

    async fn send_sign_in_code(&mut self, delivery: Delivery) -> anyhow::Result<Outcome> {
        if let Some(refused) = self.open_signed_in("/sign-in/choose").await? {
            return Ok(refused);
        }
        let button = match delivery {
            Delivery::Sms => "Text me a code",
            Delivery::Voice => "Call me with a code",
        };
        self.submit(button).await
    }

    async fn enter_sign_in_code(&mut self, code: &str) -> anyhow::Result<Outcome> {
        if let Some(refused) = self.open_signed_in("/sign-in/code").await? {
            return Ok(refused);
        }
        self.fill("Security code", code).await?;
        self.submit("Submit").await
    }

    async fn use_personal_key(&mut self, key: &str) -> anyhow::Result<Outcome> {
        if let Some(refused) = self.open_signed_in("/sign-in/personal-key").await? {
            return Ok(refused);
        }
        self.fill("Personal key", key).await?;
        self.submit("Submit").await
    }

    async fn sign_out(&mut self) -> anyhow::Result<Outcome> {
        if self.be_on("/account").await? {
            self.press("Sign out").await?;
        }
        Ok(Outcome::Accepted { details: json!({ "next": "sign_in" }) })
    }

    async fn account(&mut self) -> anyhow::Result<Outcome> {
        self.open("/account").await?;
        if self.path().await?.as_deref() != Some(self.settings.wording.path("/account")) {
            return Ok(Outcome::SignedOut { locked_until: None });
        }
        self.outcome().await
    }

    async fn forgot_password(&mut self, email: &str) -> anyhow::Result<Outcome> {
        self.open("/password/forgot").await?;
        self.fill("Email address", email).await?;
        self.submit("Send reset link").await
    }

    async fn reset_password(&mut self, link: &str, password: &str) -> anyhow::Result<Outcome> {
        if let Outcome::Accepted { .. } = self.follow(link).await? {
            self.fill_new_password("New password", password).await?;
            return self.submit("Change password").await;
        }
        self.outcome().await
    }

    async fn change_password(&mut self, current: &str, new: &str) -> anyhow::Result<Outcome> {
        if let Some(refused) = self.open_signed_in("/account/password").await? {
            return Ok(refused);
        }
        self.fill("Your current password", current).await?;
        self.fill_new_password("New password", new).await?;
        self.submit("Change password").await
    }

    async fn change_email(&mut self, current: &str, new_email: &str) -> anyhow::Result<Outcome> {
        if let Some(refused) = self.open_signed_in("/account/email").await? {
            return Ok(refused);
        }
        self.fill("Your current password", current).await?;
        self.fill("New email address", new_email).await?;
        self.submit("Send confirmation link").await
    }

    async fn confirm_email_change(&mut self, link: &str) -> anyhow::Result<Outcome> {
        if let Some(refused) = self.use_link(link, "Continue").await? {
            return Ok(refused);
        }
        self.outcome().await
    }

    async fn change_phone(
        &mut self,
        current: &str,
        phone: &str,
        delivery: Delivery,
    ) -> anyhow::Result<Outcome> {
        if let Some(refused) = self.open_signed_in("/account/phone").await? {
            return Ok(refused);
        }
        self.fill("Your current password", current).await?;
        self.fill("New phone number", phone).await?;
        self.choose(delivery_label(delivery)).await?;
        self.submit("Send code").await
    }

    async fn confirm_phone_change(&mut self, code: &str) -> anyhow::Result<Outcome> {
        if let Some(refused) = self.open_signed_in("/account/phone/code").await? {
            return Ok(refused);
        }
        self.fill("Security code", code).await?;
        self.submit("Submit").await
    }

    async fn add_authenticator(&mut self, current: &str) -> anyhow::Result<Outcome> {
        if let Some(refused) = self.open_signed_in("/account/authenticator").await? {
            return Ok(refused);
        }
        self.fill("Your current password", current).await?;
        self.submit("Continue").await
    }

    async fn confirm_authenticator(&mut self, code: &str) -> anyhow::Result<Outcome> {
        // The enrollment page is the answer to starting it; there is nothing to open.
        if self.fill("Code from your app", code).await.is_err() {
            return Ok(Outcome::Rejected {
                reason: "authenticator_not_started".into(),
                message: "no authenticator enrollment page is open".into(),
            });
        }
        self.submit("Add app").await
    }

    async fn sign_in_with_authenticator(&mut self, code: &str) -> anyhow::Result<Outcome> {
        if let Some(refused) = self.open_signed_in("/sign-in/authenticator").await? {
            return Ok(refused);
        }
        self.fill("Code from your app", code).await?;
        self.submit("Submit").await
    }

    async fn open_agency_link(&mut self, url: &str) -> anyhow::Result<Outcome> {
        self.follow(url).await
    }

    async fn continue_to_agency(&mut self) -> anyhow::Result<Outcome> {
        // Pages take a person on by themselves after signing in: already at the consent
        // question, or back at the agency, there is nothing to open.
        let consent = self.settings.wording.path("/openid_connect/consent").to_owned();
        match self.path().await? {
            None => return self.outcome().await,
            Some(path) if path == consent => return self.outcome().await,
            Some(_) => {}
        }
        self.open("/openid_connect/continue").await?;
        self.outcome().await
    }

    async fn answer_consent(&mut self, allow: bool) -> anyhow::Result<Outcome> {
        self.be_on("/openid_connect/consent").await?;
        self.submit(if allow { "Agree and continue" } else { "Do not share, go back" }).await
    }

    async fn shared_agencies(&mut self) -> anyhow::Result<Outcome> {
        self.account().await
    }

    async fn stop_sharing(&mut self, client_id: &str) -> anyhow::Result<Outcome> {
        if let Some(refused) = self.open_signed_in("/account").await? {
            return Ok(refused);
        }
        let xpath = format!(
            "//form[contains(@action, '/account/agencies/revoke')][input[@name='client_id' and @value={}]]//button",
            literal(client_id)
        );
        let client = self.browser().await?.clone();
        match client.find(Locator::XPath(&xpath)).await {
            Ok(button) => click_and_wait(&client, button).await?,
            Err(_) => {
                return Ok(Outcome::Rejected {
                    reason: "agency_not_connected".into(),
                    message: "the account page lists no such agency".into(),
                });
            }
        }
        self.record(format!("stop sharing with {client_id}")).await?;
        self.outcome().await
    }

    async fn open_agency_logout(&mut self, url: &str) -> anyhow::Result<Outcome> {
        self.follow(url).await
    }

    async fn session_marker(&mut self) -> Option<String> {
        let client = self.client.as_ref()?;
        client.get_named_cookie("sid").await.ok().map(|c| c.value().to_owned())
    }

    fn transcript(&self) -> &[Exchange] {
        &self.transcript
    }

    async fn close(&mut self) {
        if let Some(client) = self.client.take() {
            client.close().await.ok();
        }
    }

    async fn failure_evidence(&mut self) -> Option<(Vec<u8>, String)> {
        let client = self.client.as_ref()?;
        let png = client.screenshot().await.ok()?;
        let source = client.source().await.unwrap_or_default();
        Some((png, source))
    }
}
