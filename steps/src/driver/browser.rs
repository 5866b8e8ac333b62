//! The browser driver: a real Chromium (through ChromeDriver and `fantoccini`) using the web
//! pages as a person does — fields found by their label text, buttons by their words.
//!
//! What a page answered is *recognised*, never assumed ([`super::pages`]): a refusal by an
//! outcome rule of the target or the reference pages' `data-outcome` markup, an acceptance by
//! the page the action leads to, known by its marker. A 5xx page, or a page that is not one
//! the action can lead to, is an unexpected answer that says what was expected and what was
//! there.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_trait::async_trait;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::browsers::BrowserPool;
use super::keyboard::{ENTER, KeyboardReport, SPACE};
use super::pages::{BrowserMapping, Recogniser, Seen};
use super::{Delivery, Driver, Exchange, Outcome, Strength};

/// Where the browser driver's sessions come from.
#[derive(Clone, Debug)]
pub struct BrowserSettings {
    pub browsers: Arc<BrowserPool>,
    pub mapping: BrowserMapping,
    /// The service's clock, for the date of a time a page shows without one.
    pub clock: Option<crate::clock_hook::ClockHook>,
    /// The run's accessibility checks (AX-1, AX-3), when it makes them.
    pub audit: Option<Arc<super::accessibility::Audit>>,
}

pub struct BrowserDriver {
    /// The target's instances; each page opened by address goes to the next in turn.
    bases: Vec<String>,
    spread: Arc<super::Spread>,
    turn: std::sync::atomic::AtomicUsize,
    settings: BrowserSettings,
    recogniser: Recogniser,
    client: Option<Client>,
    transcript: Vec<Exchange>,
    /// What the page showed after the last navigation or button press.
    last: Value,
    /// The pages the last page was recognised as.
    pages: Vec<&'static str>,
    /// What was typed on the current page, by the suite's label (for `fill` templates).
    typed: BTreeMap<String, String>,
    /// The origins the browser showed, whose storage is cleared before the browser is reused.
    visited: BTreeSet<String>,
    /// AX-2: keyboard-only use, and what it found (`None`: the driver clicks).
    keyboard: Option<KeyboardReport>,
}

/// A new headless Chromium session (a fresh profile: no cookies) through ChromeDriver.
pub async fn new_client(endpoint: &super::chromedriver::Endpoint) -> anyhow::Result<Client> {
    let (webdriver_url, chrome) = (&endpoint.url, &endpoint.chrome);
    let mut capabilities = serde_json::Map::new();
    // Pages are read once their document is parsed; nothing waits on images or fonts.
    capabilities.insert("pageLoadStrategy".into(), json!("eager"));
    let mut args = vec![
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--no-first-run",
        "--disable-crash-reporter",
        "--disable-breakpad",
        // Process-model work a page cannot see: a new document host (and often a new renderer
        // process) for every navigation, and pages kept for the back button, which the suite
        // never presses. Without them a page load costs less than half the CPU time.
        "--disable-features=RenderDocument,ProactivelySwapBrowsingInstance,BackForwardCache",
    ];
    if !super::chromedriver::is_headless_shell(chrome) {
        args.insert(0, "--headless=new");
    }
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chrome,
            "args": args,
            // ChromeDriver's verbose browser log goes nowhere; writing it costs time.
            "excludeSwitches": ["enable-logging"],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(webdriver_url)
        .await
        .context("cannot start a Chromium session through ChromeDriver")
}

/// An XPath string literal for any text (XPath 1.0 has no escapes).
fn literal(text: &str) -> String {
    if !text.contains('\'') {
        return format!("'{text}'");
    }
    let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
    format!("concat({})", parts.join(", \"'\", "))
}

/// Set on the document before a button is pressed: the next page lacks it, so an answer at
/// the same address still counts as a new page.
pub const OLD_PAGE_MARK: &str = "data-driver-old";

/// How long a pressed button's next page may take.
const NEXT_PAGE_WITHIN: Duration = Duration::from_secs(15);

/// What is done to the element [`find_first`] finds, in the same round trip to the browser.
#[derive(Clone, Copy)]
enum Then {
    Nothing,
    /// Mark the document (see [`OLD_PAGE_MARK`]): a button is about to be clicked.
    MarkPage,
    /// Empty the field of what it held: something is about to be typed.
    Empty,
}

/// The first element `xpath` finds, if any, with `then` done to it.
async fn find_first(
    client: &Client,
    xpath: &str,
    then: Then,
) -> anyhow::Result<Option<fantoccini::elements::Element>> {
    const FIND: &str = r#"
        const found = document.evaluate(arguments[0], document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null)
          .singleNodeValue;
        if (found && arguments[1] === "mark") document.documentElement.setAttribute(arguments[2], "");
        if (found && arguments[1] === "empty" && "value" in found && found.type !== "file") found.value = "";
        return found;
    "#;
    let then = match then {
        Then::Nothing => "",
        Then::MarkPage => "mark",
        Then::Empty => "empty",
    };
    let found = client.execute(FIND, vec![json!(xpath), json!(then), json!(OLD_PAGE_MARK)]).await?;
    element(client, &found)
}

/// The pause between two looks at the browser for what it is still doing (a page loading, a
/// page's script answering). Not a wait for a rule: every caller stops at its own deadline.
#[allow(clippy::disallowed_methods)]
async fn look_again() {
    tokio::time::sleep(Duration::from_millis(20)).await;
}

/// The element a script returned (`None` for null).
fn element(client: &Client, returned: &Value) -> anyhow::Result<Option<fantoccini::elements::Element>> {
    if returned.is_null() {
        return Ok(None);
    }
    // A web element's JSON form: a single entry, keyed by the WebDriver element identifier.
    let id = returned
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.values().next())
        .and_then(Value::as_str)
        .with_context(|| format!("the browser answered {returned} for an element"))?;
    let id = fantoccini::elements::ElementRef::from(id.to_owned());
    Ok(Some(fantoccini::elements::Element::from_element_id(client.clone(), id)))
}

/// The field a `<label for>` with this text names.
fn label_xpath(label: &str) -> String {
    format!("//*[@id=//label[normalize-space()={}]/@for]", literal(label))
}

/// Waits (bounded) until the document marked with [`OLD_PAGE_MARK`] is replaced.
pub async fn wait_for_new_page(client: &Client) -> anyhow::Result<()> {
    client
        .wait()
        .at_most(NEXT_PAGE_WITHIN)
        .every(Duration::from_millis(20))
        .for_element(Locator::Css(&format!("html:not([{OLD_PAGE_MARK}])")))
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

/// The pages a person is on when the service says they are signed out.
const SIGNED_OUT_PAGES: [&str; 2] = ["sign_in", "home"];

impl BrowserDriver {
    /// `spread`: the target's instances, taken in turn. A browser keeps cookies per host, not per port, so
    /// instances on one host share the person's session; [`crate::target::Target::parse`]
    /// refuses instances on several hosts for the browser driver.
    pub fn new(spread: Arc<super::Spread>, settings: BrowserSettings) -> Self {
        Self {
            bases: spread.counts().into_iter().map(|c| c.base_url.trim_end_matches('/').to_owned()).collect(),
            spread,
            turn: std::sync::atomic::AtomicUsize::new(0),
            recogniser: Recogniser::new(&settings.mapping),
            settings,
            client: None,
            transcript: Vec::new(),
            last: Value::Null,
            pages: Vec::new(),
            keyboard: None,
            typed: BTreeMap::new(),
            visited: BTreeSet::new(),
        }
    }

    /// The browser, taken on first use: a new one, or one a finished scenario left, wiped.
    async fn browser(&mut self) -> anyhow::Result<&Client> {
        if self.client.is_none() {
            self.client = Some(self.settings.browsers.take().await?);
        }
        Ok(self.client.as_ref().expect("started above"))
    }

    fn mapping(&self) -> &BrowserMapping {
        &self.settings.mapping
    }

    /// The first instance: where checks of the pages themselves look.
    fn base(&self) -> &str {
        &self.bases[0]
    }

    /// `path` at the next instance in turn.
    fn url(&self, path: &str) -> String {
        let turn = self.turn.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{}{}", self.spread.take(turn).trim_end_matches('/'), self.mapping().path(path))
    }

    /// Whether `url` is one of the target's pages (at any of its instances).
    fn is_target(&self, url: &url::Url) -> bool {
        self.bases.iter().any(|b| url::Url::parse(b).is_ok_and(|b| b.origin() == url.origin()))
    }

    async fn open(&mut self, path_or_url: &str) -> anyhow::Result<()> {
        let url =
            if path_or_url.starts_with("http") { path_or_url.to_owned() } else { self.url(path_or_url) };
        self.browser().await?.goto(&url).await.with_context(|| format!("cannot open {url}"))?;
        self.record(format!("GET {url}")).await?;
        Ok(())
    }

    /// The path the browser shows, or `None` when it left the target (an agency's address).
    fn path(&self) -> Option<String> {
        let url = self.last["url"].as_str().and_then(|u| url::Url::parse(u).ok())?;
        self.is_target(&url).then(|| url.path().to_owned())
    }

    /// Opens `path` unless the browser is on it already.
    async fn be_on(&mut self, path: &str) -> anyhow::Result<()> {
        if self.path().as_deref() != Some(self.mapping().path(path)) {
            self.open(path).await?;
        }
        Ok(())
    }

    /// The strength meter once it shows `password`'s score (a person reads it before going on;
    /// it also moves the button below it). `None` when the page has no meter.
    async fn meter(&mut self, password: &str) -> anyhow::Result<Option<fantoccini::elements::Element>> {
        const LOOK: &str = r#"
            if (!document.querySelector("input[data-strength]")) return false;
            return document.querySelector(arguments[0]);
        "#;
        let client = self.browser().await?.clone();
        let meter = json!(format!(".strength[data-length='{}'][data-score]", password.chars().count()));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let seen = client.execute(LOOK, vec![meter.clone()]).await?;
            if seen == Value::Bool(false) {
                return Ok(None);
            }
            if let Some(meter) = element(&client, &seen)? {
                return Ok(Some(meter));
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the strength meter did not answer within 10 s"
            );
            // The meter answers the typing on the page's own script.
            look_again().await;
        }
    }

    /// Types a new password where a strength meter may follow it.
    async fn fill_new_password(&mut self, label: &str, password: &str) -> anyhow::Result<()> {
        self.fill(label, password).await?;
        self.meter(password).await?;
        Ok(())
    }

    /// The field labelled `label` (the service's words for it), by its `<label for>`.
    async fn field(&mut self, label: &str) -> anyhow::Result<fantoccini::elements::Element> {
        self.labelled(label, Then::Nothing).await
    }

    /// The field labelled `label`, emptied of what it held.
    async fn empty_field(&mut self, label: &str) -> anyhow::Result<fantoccini::elements::Element> {
        self.labelled(label, Then::Empty).await
    }

    async fn labelled(&mut self, label: &str, then: Then) -> anyhow::Result<fantoccini::elements::Element> {
        let label = self.mapping().label(label).to_owned();
        let path = self.path().unwrap_or_default();
        let client = self.browser().await?.clone();
        find_first(&client, &label_xpath(&label), then)
            .await?
            .with_context(|| format!("no field labelled {label:?} (a <label for> naming it) on {path}"))
    }

    async fn fill(&mut self, label: &str, value: &str) -> anyhow::Result<()> {
        if self.keyboard.is_some() {
            let field = self.field(label).await?;
            self.tab_to(&field, &format!("the field {label:?}")).await?;
            if !field.prop("value").await?.unwrap_or_default().is_empty() {
                let client = self.browser().await?.clone();
                self.keyboard_mut().clear_focused(&client).await?;
            }
            field.send_keys(value).await?;
            self.typed.insert(label.to_owned(), value.to_owned());
            return Ok(());
        }
        let field = self.empty_field(label).await?;
        field.send_keys(value).await?;
        self.typed.insert(label.to_owned(), value.to_owned());
        Ok(())
    }

    fn keyboard_mut(&mut self) -> &mut KeyboardReport {
        self.keyboard.get_or_insert_with(KeyboardReport::default)
    }

    /// The page's name for what keyboard use finds: its contract name, else its path.
    fn page_name(&self) -> String {
        self.pages.first().map_or_else(|| self.path().unwrap_or_default(), |p| (*p).to_owned())
    }

    /// Keyboard-only: Tab until `element` has the focus.
    async fn tab_to(&mut self, element: &fantoccini::elements::Element, what: &str) -> anyhow::Result<()> {
        let page = self.page_name();
        let client = self.browser().await?.clone();
        self.keyboard_mut().tab_to(&client, element, what, &page).await
    }

    /// Keyboard-only: chooses a radio button or ticks a checkbox.
    async fn key_choose(
        &mut self,
        element: &fantoccini::elements::Element,
        what: &str,
    ) -> anyhow::Result<()> {
        self.tab_to(element, what).await?;
        let client = self.browser().await?.clone();
        if element.attr("type").await?.as_deref() == Some("radio") {
            self.keyboard_mut().arrow_to(&client, element, what).await
        } else if !element.is_selected().await? {
            self.keyboard_mut().press(&client, &[SPACE]).await
        } else {
            Ok(())
        }
    }

    /// Puts a file of this machine in the file input labelled `label` (the browser uploads it
    /// when the form is sent).
    async fn attach(&mut self, label: &str, file: &std::path::Path) -> anyhow::Result<()> {
        let path =
            std::fs::canonicalize(file).with_context(|| format!("no file {} to upload", file.display()))?;
        let field = self.field(label).await?;
        if self.keyboard.is_some() {
            // A file dialog is the system's, beyond any page: reaching the input is what the
            // page owes a keyboard user.
            self.tab_to(&field, &format!("the file input {label:?}")).await?;
        }
        field.send_keys(&path.to_string_lossy()).await?;
        Ok(())
    }

    /// Ticks the radio button or checkbox labelled `label` (unless it is ticked already).
    async fn choose(&mut self, label: &str) -> anyhow::Result<()> {
        let field = self.field(label).await?;
        if self.keyboard.is_some() {
            return self.key_choose(&field, &format!("the choice {label:?}")).await;
        }
        if !field.is_selected().await? {
            let label = self.mapping().label(label).to_owned();
            let client = self.browser().await?;
            client
                .find(Locator::XPath(&format!("//label[normalize-space()={}]", literal(&label))))
                .await
                .with_context(|| format!("no choice labelled {label:?} on this page"))?
                .click()
                .await?;
        }
        Ok(())
    }

    /// Fills what the target's mapping adds to the current page (a confirm-password field, a
    /// terms checkbox) before it is submitted.
    async fn fill_extras(&mut self) -> anyhow::Result<()> {
        let extras: Vec<(BTreeMap<String, String>, Vec<String>)> = self
            .pages
            .iter()
            .filter_map(|name| self.mapping().pages.get(*name))
            .map(|m| (m.fill.clone(), m.check.clone()))
            .collect();
        for (fill, check) in extras {
            for (label, template) in fill {
                let value = self.typed.iter().fold(template.clone(), |v, (typed_label, typed)| {
                    v.replace(&format!("{{{typed_label}}}"), typed)
                });
                self.fill(&label, &value).await?;
            }
            for label in check {
                self.choose(&label).await?;
            }
        }
        Ok(())
    }

    async fn press(&mut self, button: &str) -> anyhow::Result<()> {
        self.fill_extras().await?;
        let button = self.mapping().label(button).to_owned();
        let path = self.path().unwrap_or_default();
        let client = self.browser().await?.clone();
        let xpath = format!(
            "//button[normalize-space()={0}] | //input[@type='submit' and @value={0}]",
            literal(&button)
        );
        let element = find_first(&client, &xpath, Then::MarkPage)
            .await?
            .with_context(|| format!("no button {button:?} on {path}"))?;
        if self.keyboard.is_none() {
            element.click().await?;
            return self.record_next_page(format!("press {button:?} on {path}")).await;
        }
        self.tab_to(&element, &format!("the button {button:?}")).await?;
        self.keyboard_mut().press(&client, &[ENTER]).await?;
        self.record_next_page(format!("press {button:?} on {path} with Enter")).await?;
        let refused = self.recogniser.refusal(&Self::seen(&self.last), &self.pages).is_some()
            || self.last["outcome"].as_str().is_some_and(|o| !o.is_empty() && o != "accepted");
        if refused {
            let page = self.page_name();
            self.keyboard_mut().check_refusal(&client, &page).await?;
        }
        Ok(())
    }

    /// Everything the driver reads from a page, in one round trip: where it is, its status,
    /// its visible text, which page markers it meets, the reference outcome attributes of
    /// `<main>`, and what an accepted page shows.
    /// With `new_only`, a page still marked with [`OLD_PAGE_MARK`] reads as null.
    async fn snapshot(&mut self, new_only: bool) -> anyhow::Result<Value> {
        const READ: &str = r##"
            if (arguments[5] && document.documentElement.hasAttribute(arguments[6])) return null;
            const main = document.querySelector("main");
            const text = (sel) => { const e = document.querySelector(sel); return e ? e.innerText.trim() : null; };
            const dd = (label) => {
              for (const dt of document.querySelectorAll("dt")) {
                if (dt.innerText.trim() === label) { const d = dt.nextElementSibling; return d ? d.innerText.trim() : null; }
              }
              return null;
            };
            const matches = (sel) => { try { return document.querySelector(sel) !== null; } catch (e) { return false; } };
            const reads = arguments[4];
            // A marked value (or the words) of an element, only when it has words a person can
            // see: markup alone (an empty or hidden element) tells the person nothing, reads "".
            const worded = (e, marker) => e.innerText.trim() && (e.getAttribute(marker) || e.innerText.trim());
            const link = document.querySelector(reads.otpauth_link);
            const consentDetails = Array.from(document.querySelectorAll(reads.attributes));
            const navigation = performance.getEntriesByType("navigation")[0];
            return {
              url: location.href,
              // The HTTP status of this document (Chromium 109+); 0 when the browser cannot tell.
              status: navigation && navigation.responseStatus ? navigation.responseStatus : 0,
              selectors: arguments[2].map(matches),
              within: arguments[3].map(sel => { try { return Array.from(document.querySelectorAll(sel)).map(e => e.innerText).join("\n"); } catch (e) { return ""; } }),
              page_text: document.body ? document.body.innerText : "",
              fields: Array.from(document.querySelectorAll("form input, form select, form textarea"))
                .filter(e => e.type !== "hidden").map(e => e.name || e.id).sort(),
              outcome: main && main.getAttribute("data-outcome"),
              reason: main && main.getAttribute("data-reason"),
              at: main && main.getAttribute("data-at"),
              message: text("[role=alert]") || text("#error-summary") || text("main p"),
              text: main ? main.innerText : document.body ? document.body.innerText : "",
              title: text("h1") || document.title,
              personal_key: Array.from(document.querySelectorAll(reads.personal_key)).map(s => s.innerText.trim()).join("-"),
              secret: text(reads.secret),
              reference: text(reads.reference),
              otpauth_uri: link && link.getAttribute("href"),
              agency: text(reads.agency_name),
              attributes: consentDetails.map(e => worded(e, "data-attribute")),
              attributes_unworded: consentDetails.filter(e => !e.innerText.trim())
                .map(e => e.getAttribute("data-attribute") || e.outerHTML.slice(0, 80)),
              email: dd(arguments[0]),
              phone: dd(arguments[1]),
              agencies: Array.from(document.querySelectorAll("form input[name=client_id]")).map(i => i.value),
              verification: (() => { try { const e = document.querySelector(reads.verification);
                return e ? worded(e, "data-status") : null; } catch (e) { return null; } })(),
              enrollment_code: text(reads.enrollment_code),
              post_offices: Array.from(document.querySelectorAll("form input[type=radio]")).map(i => {
                const l = i.id && document.querySelector(`label[for="${CSS.escape(i.id)}"]`);
                return l ? l.innerText.trim() : (i.value || "");
              }),
            };
        "##;
        let mapping = self.mapping();
        let args = vec![
            json!(mapping.label("Email address")),
            json!(mapping.label("Phone number")),
            json!(self.recogniser.selectors()),
            json!(self.recogniser.within_selectors()),
            json!(mapping.reads),
            json!(new_only),
            json!(OLD_PAGE_MARK),
        ];
        let client = self.browser().await?;
        client.execute(READ, args).await.context("cannot read the page")
    }

    fn seen(page: &Value) -> Seen {
        Seen {
            path: url::Url::parse(page["url"].as_str().unwrap_or_default())
                .map(|u| u.path().to_owned())
                .unwrap_or_default(),
            status: page["status"].as_u64().and_then(|s| u16::try_from(s).ok()).unwrap_or(0),
            text: page["page_text"].as_str().unwrap_or_default().to_owned(),
            selectors_matched: page["selectors"]
                .as_array()
                .map(|a| a.iter().map(|v| v.as_bool().unwrap_or(false)).collect())
                .unwrap_or_default(),
            within_texts: page["within"]
                .as_array()
                .map(|a| a.iter().map(|v| v.as_str().unwrap_or_default().to_owned()).collect())
                .unwrap_or_default(),
        }
    }

    /// Records the page the browser shows (see [`Self::keep`]).
    async fn record(&mut self, request: String) -> anyhow::Result<()> {
        let page = self.snapshot(false).await?;
        self.keep(request, page).await
    }

    /// Records the page a pressed button leads to, once the browser shows it: read in the same
    /// round trip that looks for it.
    async fn record_next_page(&mut self, request: String) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + NEXT_PAGE_WITHIN;
        loop {
            let read = self.snapshot(true).await;
            if let Ok(page) = &read
                && !page.is_null()
            {
                return self.keep(request, read?).await;
            }
            if tokio::time::Instant::now() >= deadline {
                // A read that failed while the old page was leaving says nothing; the last does.
                read?;
                anyhow::bail!("no new page within {} s of pressing the button", NEXT_PAGE_WITHIN.as_secs());
            }
            // The next document is the browser's to load.
            look_again().await;
        }
    }

    /// Keeps what the page said, for the report (its text, not its markup) and for comparing
    /// two answers: its address, the page it was recognised as, its HTTP status, outcome,
    /// visible text and form fields.
    async fn keep(&mut self, request: String, mut page: Value) -> anyhow::Result<()> {
        let seen = Self::seen(&page);
        if let Some(url) = page["url"].as_str().and_then(|u| url::Url::parse(u).ok())
            && url.origin().is_tuple()
        {
            self.visited.insert(url.origin().ascii_serialization());
        }
        self.pages = self.recogniser.identify(&seen);
        self.typed.clear();
        let (refusal, shown) = match self.recogniser.refusal(&seen, &self.pages) {
            Some(rule) => {
                if let Some(shown) = &rule.at {
                    let today = crate::clock_hook::target_now(self.settings.clock.as_ref()).await?.date();
                    // Unreadable, it stays unknown: the step that needs it fails and says so.
                    if let Ok(at) = shown.resolve(today) {
                        page["rule_at"] = json!(at.format(&Rfc3339)?);
                    }
                }
                (
                    format!(" ({} {} by {})", rule.outcome, rule.reason, rule.rule),
                    format!(" ({})", format!("{} {}", rule.outcome, rule.reason).trim()),
                )
            }
            None => {
                let shown = page["outcome"]
                    .as_str()
                    .map(|o| format!(" ({o} {})", page["reason"].as_str().unwrap_or("")))
                    .unwrap_or_default();
                (shown.clone(), shown.replace(" )", ")"))
            }
        };
        let fields: Vec<&str> =
            page["fields"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let mut response = format!(
            "page {} [{}]{refusal}\nfields: {}\n{}",
            seen.path,
            self.pages.join(", "),
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
        self.transcript.push(Exchange { request, status: seen.status, response });
        self.last = page;
        // AX-1, AX-3: each of the service's own pages once per run, by what it is and showed.
        if let Some(audit) = self.settings.audit.clone()
            && self.last["url"]
                .as_str()
                .and_then(|u| url::Url::parse(u).ok())
                .is_some_and(|u| self.is_target(&u))
        {
            let what = if self.pages.is_empty() { seen.path.clone() } else { self.pages.join("/") };
            let client = self.browser().await?.clone();
            audit.check(&client, &format!("{what}{shown}")).await;
        }
        Ok(())
    }

    /// What the current page says about an action that, when accepted, leads to one of
    /// `expected` (a redirect out to an agency is read as such, whatever was expected).
    fn read(&self, expected: &[&str]) -> anyhow::Result<Outcome> {
        let page = &self.last;
        let text = |k: &str| page[k].as_str().unwrap_or_default().to_owned();
        let url = url::Url::parse(&text("url")).context("the browser shows no URL")?;
        let seen = Self::seen(page);
        // A server error is a failure whatever the page says (and however it is worded).
        if seen.status >= 500 {
            return Ok(Outcome::Unexpected {
                status: seen.status,
                body: format!("HTTP {} at {}: {}", seen.status, seen.path, first_lines(&text("page_text"))),
            });
        }
        if !self.is_target(&url) {
            return Ok(Outcome::Accepted {
                details: json!({ "next": "redirect", "redirect_to": url.as_str() }),
            });
        }
        let message = text("message");
        let (outcome, reason, at) = match self.recogniser.refusal(&seen, &self.pages) {
            Some(rule) => (Some(rule.outcome), rule.reason, text("rule_at")),
            None => (page["outcome"].as_str().map(str::to_owned), text("reason"), text("at")),
        };
        let at = OffsetDateTime::parse(&at, &Rfc3339).ok();
        if let Some(outcome) = outcome {
            return Ok(match outcome.as_str() {
                "rejected" if crate::contract::known_reason(&reason) => Outcome::Rejected { reason, message },
                "rate_limited" => Outcome::RateLimited { retry_at: at, message },
                "locked" => Outcome::Locked { until: at, message },
                "signed_out" => Outcome::SignedOut { locked_until: at },
                "invalid_request" if !reason.is_empty() => Outcome::Invalid { status: seen.status, reason },
                other => Outcome::Unexpected {
                    status: seen.status,
                    body: format!(
                        "the page at {} shows the outcome {other:?} with reason {reason:?}, which the contract does not \
                         have: {message}",
                        seen.path
                    ),
                },
            });
        }
        if let Some(name) = self.pages.iter().find(|p| expected.contains(p)) {
            return Ok(Outcome::Accepted { details: self.details(name, &seen.path) });
        }
        Ok(Outcome::Unexpected { status: seen.status, body: self.not_recognised(expected, &seen) })
    }

    /// Says what was expected (with the markers looked for) and what the page was.
    fn not_recognised(&self, expected: &[&str], seen: &Seen) -> String {
        let wanted: Vec<String> = expected
            .iter()
            .map(|name| {
                let marker = self.recogniser.marker(name).map(|m| m.describe()).unwrap_or_default();
                format!("{name} ({marker})")
            })
            .collect();
        let found = if self.pages.is_empty() {
            "a page no marker recognises".to_owned()
        } else {
            format!("the page {}", self.pages.join(" / "))
        };
        format!(
            "expected {} or a refusal; found {found} at {} (HTTP {}), headed {:?}: {}. Map the page in \
             [browser.pages.<name>] or its refusal in [[browser.outcomes]] (`conformance contract` lists them)",
            if wanted.is_empty() { "to be sent back to the agency".to_owned() } else { wanted.join(" or ") },
            seen.path,
            seen.status,
            self.last["title"].as_str().unwrap_or_default(),
            first_lines(&seen.text)
        )
    }

    /// What an accepted page shows that scenarios read: which page it is, and any personal
    /// key, authenticator secret, consent question or account details on it.
    fn details(&self, name: &str, path: &str) -> Value {
        let page = &self.last;
        let mut details = json!({ "page": name, "path": path, "title": page["title"] });
        let next = match name {
            "sign_in" => Some("sign_in"),
            "consent" => Some("consent"),
            "choose_factor" => Some("second_factor"),
            "account" => Some("account"),
            "personal_key" => Some("save_personal_key"),
            "verify_consent" => Some("verify_identity"),
            "verify_reactivate" => Some("reactivate_identity"),
            _ => None,
        };
        if let Some(next) = next {
            details["next"] = json!(next);
        }
        if page["personal_key"].as_str().is_some_and(|k| !k.is_empty()) {
            details["personal_key"] = page["personal_key"].clone();
        }
        for key in ["secret", "otpauth_uri", "reference"] {
            if page[key].as_str().is_some_and(|v| !v.is_empty()) {
                details[key] = page[key].clone();
            }
        }
        match name {
            "consent" => {
                details["agency"] = page["agency"].clone();
                // A detail with no words a person can see reads "": it is not shown (AG-2).
                let names = &self.mapping().reads.attribute_names;
                let attributes: Vec<Value> = page["attributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .filter(|shown| !shown.is_empty())
                    .map(|shown| json!(names.get(shown).map_or(shown, String::as_str)))
                    .collect();
                details["attributes"] = json!(attributes);
                if page["attributes_unworded"].as_array().is_some_and(|u| !u.is_empty()) {
                    details["attributes_without_visible_words"] = page["attributes_unworded"].clone();
                }
            }
            "account" => {
                details["email"] = page["email"].clone();
                details["phone"] = page["phone"].clone();
                let agencies: Vec<Value> = page["agencies"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|id| json!({ "client_id": id }))
                    .collect();
                details["agencies"] = json!(agencies);
                if let Some(shown) = page["verification"].as_str() {
                    let names = &self.mapping().reads.status_names;
                    details["status"] = json!(names.get(shown).map_or(shown, String::as_str));
                }
                if let Some(code) = page["enrollment_code"].as_str().filter(|c| !c.is_empty()) {
                    details["enrollment"] = json!({ "enrollment_code": code });
                }
            }
            "verify_post_offices" => {
                details["post_offices"] = page["post_offices"].clone();
            }
            _ => {}
        }
        details
    }

    /// Submits on the current page and reads the answer, which leads to one of `expected`.
    async fn submit(&mut self, button: &str, expected: &[&str]) -> anyhow::Result<Outcome> {
        self.press(button).await?;
        self.read(expected)
    }

    /// Opens the page `name` at `path`, which needs a session. `None` when it is there to be
    /// used; otherwise the answer instead: signed out when the service sent the browser to
    /// sign in, a refusal it showed, or what else was there.
    async fn open_signed_in(&mut self, path: &str, name: &str) -> anyhow::Result<Option<Outcome>> {
        self.be_on(path).await?;
        if self.pages.contains(&name) {
            return Ok(None);
        }
        Ok(Some(match self.read(&SIGNED_OUT_PAGES)? {
            Outcome::Accepted { .. } => Outcome::SignedOut { locked_until: None },
            Outcome::Unexpected { status, body } => Outcome::Unexpected {
                status,
                body: body.replacen("expected", &format!("expected {name} ({path}),"), 1),
            },
            refused => refused,
        }))
    }

    /// Follows a link (emailed, or an agency's) and reads where it leads.
    async fn follow(&mut self, link: &str, expected: &[&str]) -> anyhow::Result<Outcome> {
        self.open(link).await?;
        self.read(expected)
    }

    /// An emailed link opens a page with one button that uses it (mail scanners only open);
    /// the button's answer leads to one of `expected`.
    async fn use_link(&mut self, link: &str, landing: &str, expected: &[&str]) -> anyhow::Result<Outcome> {
        match self.follow(link, &[landing]).await? {
            Outcome::Accepted { .. } => self.submit("Continue", expected).await,
            refused => Ok(refused),
        }
    }
}

/// What `check-target` finds on one of the first pages.
pub struct PageCheck {
    pub ok: bool,
    pub what: String,
    pub detail: String,
}

impl BrowserDriver {
    /// Walks the pages a run starts from (sign-up, sign-in, forgot password) and says, for
    /// each, whether the driver recognises it and finds the fields and buttons it will use,
    /// with the words and markers it looked for.
    pub async fn walk_first_pages(&mut self) -> Vec<PageCheck> {
        let mut checks = Vec::new();
        for page in crate::contract::PAGES
            .iter()
            .filter(|p| ["sign_up", "sign_in", "forgot_password"].contains(&p.name))
        {
            let what = format!("page {}", page.name);
            if let Err(error) = self.open(page.opened_at).await {
                checks.push(PageCheck { ok: false, what, detail: format!("{error:#}") });
                continue;
            }
            let seen = Self::seen(&self.last);
            let mut problems = Vec::new();
            if seen.status >= 400 {
                problems.push(format!("it answered HTTP {}", seen.status));
            }
            if !self.pages.contains(&page.name) {
                let marker = self.recogniser.marker(page.name).map(|m| m.describe()).unwrap_or_default();
                problems.push(format!("it is not recognised as {} (looked for {marker})", page.name));
            }
            for label in page.fields {
                if self.field(label).await.is_err() {
                    problems.push(format!("no field labelled {:?}", self.mapping().label(label)));
                }
            }
            for button in page.buttons {
                let words = self.mapping().label(button).to_owned();
                let xpath = format!(
                    "//button[normalize-space()={0}] | //input[@type='submit' and @value={0}]",
                    literal(&words)
                );
                let found = match self.browser().await {
                    Ok(client) => client.find(Locator::XPath(&xpath)).await.is_ok(),
                    Err(_) => false,
                };
                if !found {
                    problems.push(format!("no button {words:?}"));
                }
            }
            let at = format!("{}{}", self.base(), self.mapping().path(page.opened_at));
            checks.push(match problems.is_empty() {
                true => PageCheck { ok: true, what, detail: format!("{at}: recognised, fields and buttons found") },
                false => PageCheck {
                    ok: false,
                    what,
                    detail: format!(
                        "{at} (shows {:?}): {}. Map it in the target's [browser] section (`conformance contract` lists what each page needs)",
                        self.last["title"].as_str().unwrap_or_default(),
                        problems.join("; ")
                    ),
                },
            });
        }
        let cookies = self.mapping().session_cookies();
        let marker = self.session_marker().await;
        checks.push(PageCheck {
            ok: true,
            what: "session cookie".into(),
            detail: match marker {
                Some(_) => format!("{} is set", cookies.join(" / ")),
                None => format!(
                    "{} is not set yet by these pages (fine if your service sets it on the first form sent;                      otherwise name yours in [browser] session_cookies)",
                    cookies.join(" / ")
                ),
            },
        });
        self.close().await;
        checks
    }
}

impl Drop for BrowserDriver {
    /// A driver dropped without [`Driver::close`] (a step that failed half-way) still gives its
    /// browser back; left to itself, the browser would be quit, and a new one started later.
    fn drop(&mut self) {
        if let (Some(client), Ok(runtime)) = (self.client.take(), tokio::runtime::Handle::try_current()) {
            let (browsers, visited) = (self.settings.browsers.clone(), std::mem::take(&mut self.visited));
            runtime.spawn(async move { browsers.give_back(client, &visited).await });
        }
    }
}

/// The first lines of a page's text, for a report.
fn first_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).take(6).collect();
    lines.join(" / ")
}

#[async_trait]
impl Driver for BrowserDriver {
    async fn new_session(&mut self) -> anyhow::Result<()> {
        // A new device, as far as the target can tell: none of its cookies (faster than a new
        // browser, and the same to the service).
        if self.client.is_some() {
            if self.path().is_none() {
                self.open("/").await?;
            }
            self.browser().await?.delete_all_cookies().await?;
            self.last = Value::Null;
            self.pages.clear();
        }
        Ok(())
    }

    async fn resume_session(&mut self, marker: &str) -> anyhow::Result<()> {
        // Cookies are set for the page's site: be on one of the target's pages first.
        if self.path().is_none() {
            self.open("/").await?;
        }
        let host =
            url::Url::parse(self.base())?.host_str().context("the target's base URL has no host")?.to_owned();
        let browser = self.browser().await?;
        browser.delete_all_cookies().await?;
        for pair in marker.split("; ").filter(|p| !p.is_empty()) {
            let (name, value) =
                pair.split_once('=').with_context(|| format!("{pair:?} is not a cookie's name=value"))?;
            let mut cookie = fantoccini::cookies::Cookie::new(name.to_owned(), value.to_owned());
            cookie.set_path("/");
            cookie.set_domain(host.clone());
            // Unset, it is sent as SameSite=None, which Chromium refuses without Secure.
            cookie.set_same_site(Some(cookie::SameSite::Lax));
            browser.add_cookie(cookie).await?;
        }
        self.last = Value::Null;
        self.pages.clear();
        Ok(())
    }

    async fn start_sign_up(&mut self, email: &str) -> anyhow::Result<Outcome> {
        self.open("/sign-up").await?;
        self.fill("Email address", email).await?;
        self.submit("Submit", &["check_email"]).await
    }

    async fn resend_confirmation(&mut self) -> anyhow::Result<Outcome> {
        self.open("/sign-up/check-email").await?;
        if self.pages.contains(&"check_email") {
            return self.submit("Send again", &["check_email"]).await;
        }
        // Sent back to start: there is no sign-up to resend for.
        Ok(match self.read(&["sign_up"])? {
            Outcome::Accepted { .. } => Outcome::Rejected {
                reason: "no_sign_up_in_progress".into(),
                message: format!(
                    "the service showed the sign-up start page at {}",
                    self.path().unwrap_or_default()
                ),
            },
            other => other,
        })
    }

    async fn confirm_email(&mut self, link: &str) -> anyhow::Result<Outcome> {
        self.use_link(link, "confirm_email", &["create_password"]).await
    }

    async fn choose_password(&mut self, password: &str) -> anyhow::Result<Outcome> {
        self.be_on("/sign-up/password").await?;
        if !self.pages.contains(&"create_password") {
            // The page says why it does not ask for a password (or is unexpected).
            return self.read(&[]);
        }
        self.fill_new_password("Password", password).await?;
        self.submit("Continue", &["add_phone"]).await
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
        if let Some(answer) = self.open_signed_in("/sign-up/phone", "add_phone").await? {
            return Ok(answer);
        }
        self.fill("Phone number", phone).await?;
        self.choose(delivery_label(delivery)).await?;
        self.submit("Send code", &["phone_code"]).await
    }

    async fn resend_phone_code(&mut self, delivery: Delivery) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/sign-up/phone/code", "phone_code").await? {
            return Ok(answer);
        }
        let button = match delivery {
            Delivery::Sms => "Text me a new code",
            Delivery::Voice => "Call me with a new code",
        };
        self.submit(button, &["phone_code"]).await
    }

    async fn confirm_phone(&mut self, code: &str) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/sign-up/phone/code", "phone_code").await? {
            return Ok(answer);
        }
        self.fill("Security code", code).await?;
        // A service without personal keys goes on to the account (steps that need a key fail
        // when a service that offers them shows none).
        self.submit("Submit", &["personal_key", "account"]).await
    }

    async fn sign_in(&mut self, email: &str, password: &str) -> anyhow::Result<Outcome> {
        self.open("/sign-in").await?;
        self.fill("Email address", email).await?;
        self.fill("Password", password).await?;
        // An account whose sign-up stopped before the phone goes on to add one.
        self.submit("Sign in", &["choose_factor", "add_phone"]).await
    }

    async fn send_sign_in_code(&mut self, delivery: Delivery) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/sign-in/choose", "choose_factor").await? {
            return Ok(answer);
        }
        let button = match delivery {
            Delivery::Sms => "Text me a code",
            Delivery::Voice => "Call me with a code",
        };
        self.submit(button, &["sign_in_code"]).await
    }

    async fn enter_sign_in_code(&mut self, code: &str) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/sign-in/code", "sign_in_code").await? {
            return Ok(answer);
        }
        self.fill("Security code", code).await?;
        self.submit("Submit", &SIGNED_IN_PAGES).await
    }

    async fn use_personal_key(&mut self, key: &str) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/sign-in/personal-key", "sign_in_personal_key").await? {
            return Ok(answer);
        }
        self.fill("Personal key", key).await?;
        self.submit("Submit", &["personal_key"]).await
    }

    async fn sign_out(&mut self) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/account", "account").await? {
            // Not signed in (or not on the account page): there is no sign-out button to press,
            // so nothing was signed out. Said as it is, never as a sign-out that worked.
            return Ok(answer);
        }
        self.submit("Sign out", &SIGNED_OUT_PAGES).await
    }

    async fn account(&mut self) -> anyhow::Result<Outcome> {
        // Always opened afresh: the page must show the account as it is now.
        self.open("/account").await?;
        match self.open_signed_in("/account", "account").await? {
            Some(answer) => Ok(answer),
            None => self.read(&["account"]),
        }
    }

    fn use_keyboard_only(&mut self) -> bool {
        self.keyboard_mut();
        true
    }

    fn keyboard_report(&self) -> Option<KeyboardReport> {
        self.keyboard.clone()
    }

    async fn verification_status(&mut self) -> anyhow::Result<Outcome> {
        let answer = self.account().await?;
        let Outcome::Accepted { details } = &answer else { return Ok(answer) };
        match details.get("status").and_then(Value::as_str) {
            Some(status) => {
                let mut read = json!({ "status": status });
                if let Some(enrollment) = details.get("enrollment") {
                    read["enrollment"] = enrollment.clone();
                }
                Ok(Outcome::Accepted { details: read })
            }
            None => Ok(Outcome::Unexpected {
                status: 200,
                body: format!(
                    "the account page shows no verification status (looked for {:?})",
                    self.mapping().reads.verification
                ),
            }),
        }
    }

    async fn start_verification(&mut self, agree: bool) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/verify", "verify_consent").await? {
            return Ok(answer);
        }
        if agree {
            self.choose("I agree to have my ID, my photo and my details checked").await?;
        }
        self.submit("Continue", &["verify_documents"]).await
    }

    async fn upload_documents(
        &mut self,
        front: &std::path::Path,
        back: &std::path::Path,
        selfie: &std::path::Path,
    ) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/verify/documents", "verify_documents").await? {
            return Ok(answer);
        }
        self.attach("Front of your ID", front).await?;
        self.attach("Back of your ID", back).await?;
        self.attach("Photo of you", selfie).await?;
        self.submit("Upload", &["verify_ssn"]).await
    }

    async fn find_post_offices(&mut self, zip: &str) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/verify/in-person", "verify_in_person").await? {
            return Ok(answer);
        }
        self.fill("ZIP code", zip).await?;
        self.submit("Search", &["verify_post_offices"]).await
    }

    async fn choose_post_office(&mut self, index: usize) -> anyhow::Result<Outcome> {
        // The list is only on the page the search led to: no address to open it again.
        if !self.pages.contains(&"verify_post_offices") {
            return self.read(&["verify_post_offices"]);
        }
        let client = self.browser().await?;
        let choices = client.find_all(Locator::Css("form input[type=radio]")).await?;
        let choice = choices
            .get(index)
            .with_context(|| {
                format!("the page offers {} Post Offices, not a number {}", choices.len(), index + 1)
            })?
            .clone();
        if self.keyboard.is_some() {
            self.key_choose(&choice, "the Post Office").await?;
        } else {
            choice.click().await.context("cannot choose the Post Office")?;
        }
        self.submit("Choose this Post Office", &["verify_id_details"]).await
    }

    async fn enter_id_details(&mut self, details: &super::IdDetails) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/verify/in-person/details", "verify_id_details").await? {
            return Ok(answer);
        }
        for (label, value) in [
            ("First name", &details.given_name),
            ("Last name", &details.family_name),
            ("Date of birth", &details.birthdate),
            ("Street address", &details.street_address),
            ("City", &details.city),
            ("State", &details.state),
            ("ZIP code", &details.zip),
        ] {
            self.fill(label, value).await?;
        }
        self.submit("Continue", &["verify_ssn"]).await
    }

    async fn enter_ssn(&mut self, ssn: &str) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/verify/ssn", "verify_ssn").await? {
            return Ok(answer);
        }
        self.fill("Social Security number", ssn).await?;
        self.submit("Continue", &["verify_review"]).await
    }

    async fn finish_verification(&mut self, password: &str) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/verify/review", "verify_review").await? {
            return Ok(answer);
        }
        self.fill("Password", password).await?;
        self.submit("Verify my identity", &["personal_key"]).await
    }

    async fn reactivate_identity(&mut self, personal_key: &str, password: &str) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/verify/reactivate", "verify_reactivate").await? {
            return Ok(answer);
        }
        self.fill("Personal key", personal_key).await?;
        self.fill("Password", password).await?;
        self.submit("Reactivate", &["personal_key"]).await
    }

    async fn forgot_password(&mut self, email: &str) -> anyhow::Result<Outcome> {
        self.open("/password/forgot").await?;
        self.fill("Email address", email).await?;
        self.submit("Send reset link", &["reset_sent"]).await
    }

    async fn reset_password(&mut self, link: &str, password: &str) -> anyhow::Result<Outcome> {
        match self.follow(link, &["reset_password"]).await? {
            Outcome::Accepted { .. } => {
                self.fill_new_password("New password", password).await?;
                self.submit("Change password", &["password_reset"]).await
            }
            refused => Ok(refused),
        }
    }

    async fn change_password(&mut self, current: &str, new: &str) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/account/password", "change_password").await? {
            return Ok(answer);
        }
        self.fill("Your current password", current).await?;
        self.fill_new_password("New password", new).await?;
        self.submit("Change password", &["change_done", "account"]).await
    }

    async fn change_email(&mut self, current: &str, new_email: &str) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/account/email", "change_email").await? {
            return Ok(answer);
        }
        self.fill("Your current password", current).await?;
        self.fill("New email address", new_email).await?;
        self.submit("Send confirmation link", &["email_change_sent"]).await
    }

    async fn report_misuse(&mut self, link: &str) -> anyhow::Result<Outcome> {
        match self.follow(link, &["report_misuse"]).await? {
            Outcome::Accepted { .. } => self.submit("Report misuse", &["misuse_reported"]).await,
            refused => Ok(refused),
        }
    }

    async fn confirm_email_change(&mut self, link: &str) -> anyhow::Result<Outcome> {
        self.use_link(link, "confirm_new_email", &["email_changed", "account"]).await
    }

    async fn change_phone(
        &mut self,
        current: &str,
        phone: &str,
        delivery: Delivery,
    ) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/account/phone", "change_phone").await? {
            return Ok(answer);
        }
        self.fill("Your current password", current).await?;
        self.fill("New phone number", phone).await?;
        self.choose(delivery_label(delivery)).await?;
        self.submit("Send code", &["change_phone_code"]).await
    }

    async fn confirm_phone_change(&mut self, code: &str) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/account/phone/code", "change_phone_code").await? {
            return Ok(answer);
        }
        self.fill("Security code", code).await?;
        self.submit("Submit", &["change_done", "account"]).await
    }

    async fn add_authenticator(&mut self, current: &str) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/account/authenticator", "add_authenticator").await? {
            return Ok(answer);
        }
        self.fill("Your current password", current).await?;
        self.submit("Continue", &["authenticator_setup"]).await
    }

    async fn confirm_authenticator(&mut self, code: &str) -> anyhow::Result<Outcome> {
        // The set-up page is the answer to starting it; there is nothing to open.
        if !self.pages.contains(&"authenticator_setup") {
            return Ok(Outcome::Rejected {
                reason: "authenticator_not_started".into(),
                message: format!(
                    "no authenticator set-up page is open (the browser is on {})",
                    self.path().unwrap_or_default()
                ),
            });
        }
        self.fill("Code from your app", code).await?;
        self.submit("Add app", &["change_done", "account"]).await
    }

    async fn sign_in_with_authenticator(&mut self, code: &str) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/sign-in/authenticator", "sign_in_authenticator").await? {
            return Ok(answer);
        }
        self.fill("Code from your app", code).await?;
        self.submit("Submit", &SIGNED_IN_PAGES).await
    }

    async fn open_agency_link(&mut self, url: &str) -> anyhow::Result<Outcome> {
        self.follow(url, &["sign_in", "consent", "verify_consent", "verify_reactivate"]).await
    }

    async fn continue_to_agency(&mut self) -> anyhow::Result<Outcome> {
        // Pages take a person on by themselves after signing in: already at the consent
        // question, or back at the agency, there is nothing to open.
        if self.path().is_none() || self.pages.contains(&"consent") {
            return self.read(&["consent"]);
        }
        self.open("/openid_connect/continue").await?;
        self.read(&["consent", "sign_in", "verify_consent", "verify_reactivate"])
    }

    async fn answer_consent(&mut self, allow: bool) -> anyhow::Result<Outcome> {
        self.be_on("/openid_connect/consent").await?;
        // Either answer sends the browser back to the agency.
        self.submit(if allow { "Agree and continue" } else { "Do not share, go back" }, &[]).await
    }

    async fn shared_agencies(&mut self) -> anyhow::Result<Outcome> {
        self.account().await
    }

    async fn stop_sharing(&mut self, client_id: &str) -> anyhow::Result<Outcome> {
        if let Some(answer) = self.open_signed_in("/account", "account").await? {
            return Ok(answer);
        }
        let xpath = format!("//form[.//input[@name='client_id' and @value={}]]//button", literal(client_id));
        let client = self.browser().await?.clone();
        let Some(button) = find_first(&client, &xpath, Then::MarkPage).await? else {
            return Ok(Outcome::Rejected {
                reason: "agency_not_connected".into(),
                message: "the account page lists no such agency".into(),
            });
        };
        button.click().await?;
        self.record_next_page(format!("stop sharing with {client_id}")).await?;
        self.read(&["account"])
    }

    async fn open_agency_logout(&mut self, url: &str) -> anyhow::Result<Outcome> {
        self.follow(url, &[]).await
    }

    async fn session_marker(&mut self) -> Option<String> {
        let client = self.client.as_ref()?;
        let mut values = Vec::new();
        for name in self.settings.mapping.session_cookies() {
            if let Ok(cookie) = client.get_named_cookie(&name).await {
                values.push(format!("{name}={}", cookie.value()));
            }
        }
        (!values.is_empty()).then(|| values.join("; "))
    }

    fn transcript(&self) -> &[Exchange] {
        &self.transcript
    }

    async fn close(&mut self) {
        if let Some(client) = self.client.take() {
            self.settings.browsers.give_back(client, &std::mem::take(&mut self.visited)).await;
        }
    }

    async fn failure_evidence(&mut self) -> Option<(Vec<u8>, String)> {
        let client = self.client.as_ref()?;
        let png = client.screenshot().await.ok()?;
        let source = client.source().await.unwrap_or_default();
        Some((png, source))
    }
}

/// Where a completed sign-in leads: the account, an agency's consent question, a new personal
/// key when one is due (or, read separately, straight back to the agency).
const SIGNED_IN_PAGES: [&str; 3] = ["account", "consent", "personal_key"];
