//! `conformance record`: walks sign-up on a service in a real browser by itself — filling what
//! it recognises, reading the mail and texts from the fakes — and writes a starting `[browser]`
//! section for the service's target file from what each page showed (path, status, heading,
//! labels, buttons, alerts, checkboxes, cookies). A starting point to correct, not a verdict:
//! nothing here decides whether the service is right.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use anyhow::Context as _;
use fantoccini::Client;
use serde::Deserialize;
use serde_json::json;

use crate::inbox::InboxClient;
use crate::target::Target;

/// What one page showed.
#[derive(Debug, Clone, Deserialize)]
pub struct RecordedPage {
    /// The suite's name for the page, by its place in sign-up.
    #[serde(skip)]
    pub name: &'static str,
    pub path: String,
    pub status: u16,
    pub heading: String,
    /// Every labelled field: its label, input type and autocomplete hint.
    pub fields: Vec<Field>,
    pub buttons: Vec<String>,
    pub alerts: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Field {
    pub label: String,
    pub kind: String,
    pub autocomplete: String,
}

impl RecordedPage {
    fn field(&self, wanted: impl Fn(&Field) -> bool) -> Option<&Field> {
        self.fields.iter().find(|f| wanted(f))
    }
}

/// A walk through sign-up.
#[derive(Debug, Default)]
pub struct Recording {
    pub base_url: String,
    pub pages: Vec<RecordedPage>,
    pub cookies: Vec<String>,
    /// Where the walk stopped early, and why.
    pub stopped: Option<String>,
}

const READ: &str = r#"
    const text = (e) => (e ? e.innerText.trim() : "");
    const navigation = performance.getEntriesByType("navigation")[0];
    const labelled = Array.from(document.querySelectorAll("label[for]")).map(l => {
      const input = document.getElementById(l.getAttribute("for"));
      return input ? { label: text(l), kind: input.type || input.tagName.toLowerCase(), autocomplete: input.getAttribute("autocomplete") || "" } : null;
    }).filter(f => f);
    return {
      path: location.pathname,
      status: navigation && navigation.responseStatus ? navigation.responseStatus : 0,
      heading: text(document.querySelector("h1")) || document.title,
      fields: labelled,
      buttons: Array.from(document.querySelectorAll("button, input[type=submit]")).map(b => text(b) || b.value || "").filter(t => t),
      alerts: Array.from(document.querySelectorAll("[role=alert]")).map(text).filter(t => t),
    };
"#;

/// The sign-up walk's pages, in order, with what the recorder does on each.
const WALK: [&str; 7] =
    ["sign_up", "check_email", "confirm_email", "create_password", "add_phone", "phone_code", "personal_key"];

/// Records sign-up on `target`'s service, starting at `start` (a path).
pub async fn record(target: &Target, start: &str) -> anyhow::Result<Recording> {
    let chromedriver = crate::driver::chromedriver::ChromeDriver::start().await?;
    let client = crate::driver::browser::new_client(&chromedriver.endpoint).await?;
    let inbox = InboxClient::new(&target.inbox.url, Duration::from_secs(target.inbox.wait_secs));
    let base = target.base_url.trim_end_matches('/').to_owned();
    let tag = rand::random::<u32>() % 1_000_000;
    let person = (
        format!("record{tag}@example.test"),
        format!("+15559{tag:06}"),
        format!("maple orbit record {tag} river"),
    );
    let mut recording = Recording { base_url: base.clone(), ..Recording::default() };
    let walked = walk(&client, &inbox, &format!("{base}{start}"), &person, &mut recording).await;
    if let Err(error) = walked {
        recording.stopped = Some(format!("{error:#}"));
    }
    if let Ok(cookies) = client.get_all_cookies().await {
        recording.cookies = cookies.iter().map(|c| c.name().to_owned()).collect();
    }
    client.close().await.ok();
    Ok(recording)
}

async fn read(client: &Client, name: &'static str) -> anyhow::Result<RecordedPage> {
    let value = client.execute(READ, vec![]).await.context("cannot read the page")?;
    let mut page: RecordedPage = serde_json::from_value(value)?;
    page.name = name;
    Ok(page)
}

/// Fills every field it recognises and ticks every checkbox, then presses the form's button.
async fn fill_and_submit(
    client: &Client,
    page: &RecordedPage,
    values: &BTreeMap<&str, String>,
) -> anyhow::Result<()> {
    const FILL: &str = r#"
        const values = arguments[0];
        const inputs = Array.from(document.querySelectorAll("form input, form select")).filter(i => i.type !== "hidden");
        for (const input of inputs) {
          const label = input.id ? document.querySelector(`label[for="${input.id}"]`) : null;
          const words = ((label ? label.innerText : "") + " " + (input.name || "") + " " + (input.autocomplete || "")).toLowerCase();
          let value = null;
          if (input.type === "checkbox") { if (!input.checked) input.click(); continue; }
          if (input.type === "radio") continue;
          if (input.type === "email" || words.includes("email")) value = values.email;
          else if (input.type === "password") value = values.password;
          else if (input.type === "tel" || words.includes("phone")) value = values.phone;
          else if (words.includes("code") || input.autocomplete === "one-time-code") value = values.code;
          if (value !== null && value !== undefined) {
            input.value = value;
            input.dispatchEvent(new Event("input", { bubbles: true }));
          }
        }
        const form = inputs.length ? inputs[0].form : document.querySelector("form");
        const button = form && (form.querySelector("button[type=submit], input[type=submit], button:not([type])"));
        if (!button) return false;
        document.documentElement.setAttribute(arguments[1], "");
        button.click();
        return true;
    "#;
    let values = json!(values);
    let mark = json!(crate::driver::browser::OLD_PAGE_MARK);
    let pressed = client.execute(FILL, vec![values, mark]).await?;
    anyhow::ensure!(
        pressed.as_bool() == Some(true),
        "the page {} ({:?}) has no form button to press",
        page.path,
        page.heading
    );
    crate::driver::browser::wait_for_new_page(client).await
}

async fn walk(
    client: &Client,
    inbox: &InboxClient,
    start: &str,
    (email, phone, password): &(String, String, String),
    recording: &mut Recording,
) -> anyhow::Result<()> {
    let mut values: BTreeMap<&str, String> =
        [("email", email.clone()), ("password", password.clone()), ("phone", phone.clone())].into();
    client.goto(start).await.with_context(|| format!("cannot open {start}"))?;
    for name in WALK {
        let page = read(client, name).await?;
        recording.pages.push(page.clone());
        match name {
            "sign_up" | "create_password" | "add_phone" => fill_and_submit(client, &page, &values).await?,
            "check_email" => {
                let mail = inbox
                    .next_mail(email, 0)
                    .await?
                    .with_context(|| format!("no email to {email} reached the fakes' inbox"))?;
                let link = mail
                    .links
                    .first()
                    .with_context(|| format!("the email {:?} has no link", mail.subject))?;
                client.goto(link).await?;
            }
            "confirm_email" => {
                // A landing page with one button uses the link; a service that uses it on
                // opening shows the password step at once.
                if page.field(|f| f.kind == "password").is_some() {
                    recording.pages.pop();
                    let page = read(client, "create_password").await?;
                    recording.pages.push(page.clone());
                    fill_and_submit(client, &page, &values).await?;
                    continue_after_password(client, inbox, phone, &mut values, recording).await?;
                    return Ok(());
                }
                fill_and_submit(client, &page, &values).await?;
            }
            "phone_code" => {
                let text = inbox
                    .next_phone_message(phone, 0)
                    .await?
                    .with_context(|| format!("no text to {phone} reached the fakes' inbox"))?;
                values.insert("code", crate::code_reading::CodeReader::default().read(&text.body)?);
                fill_and_submit(client, &page, &values).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// The rest of the walk when the link led straight to the password step.
async fn continue_after_password(
    client: &Client,
    inbox: &InboxClient,
    phone: &str,
    values: &mut BTreeMap<&str, String>,
    recording: &mut Recording,
) -> anyhow::Result<()> {
    let page = read(client, "add_phone").await?;
    recording.pages.push(page.clone());
    fill_and_submit(client, &page, values).await?;
    let page = read(client, "phone_code").await?;
    recording.pages.push(page.clone());
    let text = inbox.next_phone_message(phone, 0).await?.context("no text reached the fakes' inbox")?;
    values.insert("code", crate::code_reading::CodeReader::default().read(&text.body)?);
    fill_and_submit(client, &page, values).await?;
    recording.pages.push(read(client, "personal_key").await?);
    Ok(())
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// The reference pages' path for each page the walk passes that the driver opens itself.
fn reference_path(name: &str) -> Option<&'static str> {
    crate::contract::PAGES.iter().find(|p| p.name == name).map(|p| p.opened_at).filter(|p| !p.is_empty())
}

impl Recording {
    /// A starting `[browser]` section: every page by its path and heading, the words for the
    /// fields and buttons the suite uses, the extra inputs, the cookies.
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Recorded by `conformance record` from {}, through sign-up ({} pages).\n\
             # A starting point: check each entry against your pages, then add the pages and refusals\n\
             # sign-up did not pass through (`conformance contract` lists them all).",
            self.base_url,
            self.pages.len()
        );
        if let Some(why) = &self.stopped {
            let _ = writeln!(out, "# The walk stopped early: {}", why.replace('\n', " "));
        }
        let _ = writeln!(out, "[browser]");
        let session: Vec<&String> = self
            .cookies
            .iter()
            .filter(|c| ["sess", "sid"].iter().any(|k| c.to_lowercase().contains(k)))
            .collect();
        let _ = writeln!(
            out,
            "session_cookies = [{}]   # cookies seen: {}",
            session.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(", "),
            self.cookies.join(", ")
        );

        let mut labels: BTreeMap<&str, String> = BTreeMap::new();
        let page = |name: &str| self.pages.iter().find(|p| p.name == name);
        let mut label = |suite: &'static str, theirs: Option<&str>| {
            if let Some(theirs) = theirs.filter(|t| *t != suite && !t.is_empty()) {
                labels.entry(suite).or_insert_with(|| theirs.to_owned());
            }
        };
        if let Some(p) = page("sign_up") {
            label("Email address", p.field(|f| f.kind == "email").map(|f| f.label.as_str()));
            label("Submit", p.buttons.first().map(String::as_str));
        }
        if let Some(p) = page("create_password") {
            label("Password", p.field(|f| f.kind == "password").map(|f| f.label.as_str()));
            label("Continue", p.buttons.first().map(String::as_str));
        }
        if let Some(p) = page("add_phone") {
            label("Phone number", p.field(|f| f.kind == "tel").map(|f| f.label.as_str()));
            label("Send code", p.buttons.first().map(String::as_str));
        }
        if let Some(p) = page("phone_code") {
            let code =
                p.field(|f| f.autocomplete == "one-time-code" || f.label.to_lowercase().contains("code"));
            label("Security code", code.map(|f| f.label.as_str()));
        }
        if !labels.is_empty() {
            let _ = writeln!(out, "\n[browser.labels]   # the suite's words = yours");
            for (suite, theirs) in &labels {
                let _ = writeln!(out, "{} = {}", quoted(suite), quoted(theirs));
            }
        }

        let paths: Vec<(&str, &str)> = self
            .pages
            .iter()
            .filter_map(|p| reference_path(p.name).filter(|r| *r != p.path).map(|r| (r, p.path.as_str())))
            .collect();
        if !paths.is_empty() {
            let _ = writeln!(out, "\n[browser.paths]   # where the driver opens these pages");
            for (reference, theirs) in paths {
                let _ = writeln!(out, "{} = {}", quoted(reference), quoted(theirs));
            }
        }

        for p in &self.pages {
            let _ = writeln!(out, "\n[browser.pages.{}]   # HTTP {}", p.name, p.status);
            let _ = writeln!(out, "path = {}", quoted(&p.path));
            if !p.heading.is_empty() {
                let _ = writeln!(out, "text = {}", quoted(&format!("(?m)^{}$", regex::escape(&p.heading))));
            }
            let passwords: Vec<&Field> = p.fields.iter().filter(|f| f.kind == "password").collect();
            if p.name == "create_password" && passwords.len() > 1 {
                let extra: Vec<String> = passwords[1..]
                    .iter()
                    .map(|f| format!("{} = \"{{Password}}\"", quoted(&f.label)))
                    .collect();
                let _ = writeln!(out, "fill = {{ {} }}", extra.join(", "));
            }
            let boxes: Vec<String> =
                p.fields.iter().filter(|f| f.kind == "checkbox").map(|f| quoted(&f.label)).collect();
            if !boxes.is_empty() {
                let _ = writeln!(out, "check = [{}]", boxes.join(", "));
            }
            let words: Vec<String> = p.fields.iter().map(|f| format!("{} ({})", f.label, f.kind)).collect();
            if !words.is_empty() {
                let _ = writeln!(out, "# fields: {}", words.join(", "));
            }
            if !p.buttons.is_empty() {
                let _ = writeln!(out, "# buttons: {}", p.buttons.join(", "));
            }
            for alert in &p.alerts {
                let _ = writeln!(out, "# alert: {}", alert.replace('\n', " "));
            }
        }
        out
    }
}
