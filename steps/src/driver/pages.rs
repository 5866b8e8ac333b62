//! How the browser driver knows what a page answered: a page is *recognised* by its marker
//! (the page contract's names, [`crate::contract::PAGES`]), and a refusal by an outcome rule
//! or by the reference pages' `data-outcome` markup. Nothing is assumed: a page that no marker
//! and no rule recognises is reported as such, never read as success.
//!
//! The target file's `[browser]` section maps another service's pages:
//!
//! ```toml
//! [browser]
//! labels = { "Email address" = "Email" }       # the suite's words → the service's
//! paths = { "/sign-up" = "/register" }          # where the driver opens each page
//! session_cookies = ["session"]                 # the cookie(s) holding the session id
//!
//! [browser.pages.check_email]                   # every condition given must hold
//! path = "/register/sent"                       # or path_pattern = "^/register/\\d+$"
//! text = "(?i)check your (e-)?mail"             # a regex over the page's visible text
//! [browser.pages.create_password]
//! selector = "form#new-password"                # a CSS selector that must match
//! fill = { "Confirm password" = "{Password}" }  # more fields to fill ({label} = typed there)
//! check = ["I accept the terms of use"]         # checkboxes to tick before submitting
//!
//! [[browser.outcomes]]                          # a refusal, by what the page says
//! text = "(?i)code has expired"
//! outcome = "rejected"
//! reason = "code_expired"
//! page = "sign_in_code"                         # optional: only on this page
//!
//! [browser.reads]                               # where accepted pages show what is read
//! personal_key = "#recovery-code"               # (defaults: the reference pages' markup)
//!
//! [[browser.outcomes]]                          # a time it shows, captured as `at`
//! text = "(?i)try again after (?P<at>\\d{1,2}:\\d{2} [AP]M)"
//! outcome = "rate_limited"
//! at_format = "[hour repr:12 padding:none]:[minute] [period]"   # the `time` crate's format
//! at_utc_offset = "-05:00"                      # the page's time zone (default UTC)
//! at_precision_secs = 60                        # shown to the minute
//! ```
//!
//! A time without a date is taken on the service's date (its clock hook's, or today). Checks
//! never rest on a shown time to the second: a wait goes to the shown time plus its precision,
//! and a lockout's length is compared within it.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Deserialize;

use crate::contract;

/// The `[browser]` section of a target file.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrowserMapping {
    /// The suite's label and button words → the service's own.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The reference pages' paths → the service's, where the driver opens a page itself.
    #[serde(default)]
    pub paths: BTreeMap<String, String>,
    /// The cookie(s) whose value is the session identifier (default: `sid`).
    #[serde(default)]
    pub session_cookies: Vec<String>,
    /// Page markers by page name; a page not listed keeps its default marker,
    /// `main[data-page='<name>']`.
    #[serde(default)]
    pub pages: BTreeMap<String, PageMarker>,
    /// Refusals recognised by the page's words, tried page-scoped first, then in file order.
    #[serde(default)]
    pub outcomes: Vec<OutcomeRule>,
    /// Where accepted pages show what scenarios read.
    #[serde(default)]
    pub reads: Reads,
    /// How a scenario's account is made before it starts (`Given I have an account with a
    /// confirmed phone`, and what builds on it).
    #[serde(default)]
    pub arrange: Arrange,
}

/// How a browser run makes the account a scenario starts from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Arrange {
    /// Through the pages, like everything the scenario does.
    #[default]
    Pages,
    /// Through the JSON API, which the service must then offer: the browser is left for what
    /// the scenario itself does. The pages skipped are still walked by the scenarios about
    /// them (creating an account, the phone, the personal key).
    Api,
}

/// CSS selectors for what accepted pages show (defaults: the reference pages' markup).
#[derive(Clone, Debug, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Reads {
    /// The personal key: the texts of the matched elements, joined by `-` (its groups, or
    /// one element holding the whole key).
    pub personal_key: String,
    /// The authenticator app's secret (base32), as text.
    pub secret: String,
    /// The link whose `href` is the `otpauth://` URI.
    pub otpauth_link: String,
    /// The reference acknowledging a report of misuse (SU-7), as text.
    pub reference: String,
    /// The name of the agency asking for consent.
    pub agency_name: String,
    /// The details an agency would receive, one element each: its `data-attribute`, or its
    /// text as `attribute_names` names it.
    pub attributes: String,
    /// A detail's words on the page → its scope name (`email`, `phone`).
    pub attribute_names: BTreeMap<String, String>,
    /// On the account page, where identity verification stands: its `data-status`
    /// (`unverified`, `verified`, `needs_personal_key`, `in_person_pending`, `in_person_failed`,
    /// `in_person_expired`), or its text as `status_names` names it.
    pub verification: String,
    /// A verification status's words on the account page → its name.
    pub status_names: BTreeMap<String, String>,
    /// On the account page, while enrolled at a Post Office: the enrollment code, as text.
    pub enrollment_code: String,
}

impl Default for Reads {
    fn default() -> Self {
        Self {
            personal_key: ".personal-key span".into(),
            secret: "#authenticator-secret".into(),
            otpauth_link: "a[href^='otpauth:']".into(),
            reference: ".reference".into(),
            agency_name: "#agency-name".into(),
            attributes: "[data-attribute]".into(),
            attribute_names: BTreeMap::new(),
            verification: ".verification".into(),
            status_names: BTreeMap::new(),
            enrollment_code: ".enrollment-code".into(),
        }
    }
}

/// What identifies one page; every condition given must hold (a path alone cannot tell a
/// form from the same form shown again with a refusal, a text can).
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PageMarker {
    pub path: Option<String>,
    pub path_pattern: Option<String>,
    pub selector: Option<String>,
    pub text: Option<String>,
    /// Extra fields to fill on this page before submitting: label → value, where `{Label}`
    /// stands for what the driver typed in the field with the suite's label `Label`.
    #[serde(default)]
    pub fill: BTreeMap<String, String>,
    /// Checkboxes (by label) to tick on this page before submitting.
    #[serde(default)]
    pub check: Vec<String>,
}

/// A refusal recognised by what a page says.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRule {
    /// A regex over the page's visible text.
    pub text: String,
    pub outcome: String,
    #[serde(default)]
    pub reason: Option<String>,
    /// Only on this page (by name); such rules are tried before page-less ones.
    #[serde(default)]
    pub page: Option<String>,
    /// Only in the text of the elements this CSS selector matches (say, the error summary),
    /// so that a page's own guidance ("at least 8 characters") is not read as a refusal.
    #[serde(default)]
    pub within: Option<String>,
    /// How the time captured by the `at` group is written (a `time` crate format
    /// description); needed for `rate_limited` and `locked`.
    #[serde(default)]
    pub at_format: Option<String>,
    /// The UTC offset of the shown time, `+hh:mm` or `-hh:mm` (default `+00:00`).
    #[serde(default)]
    pub at_utc_offset: Option<String>,
    /// How precisely the time is shown, in seconds (60: to the minute).
    #[serde(default)]
    pub at_precision_secs: u64,
}

impl BrowserMapping {
    pub fn label<'a>(&'a self, words: &'a str) -> &'a str {
        self.labels.get(words).map_or(words, String::as_str)
    }

    pub fn path<'a>(&'a self, path: &'a str) -> &'a str {
        self.paths.get(path).map_or(path, String::as_str)
    }

    /// How precisely the mapped pages show times, in seconds (0: exactly).
    pub fn time_precision_secs(&self) -> u64 {
        self.outcomes.iter().map(|r| r.at_precision_secs).max().unwrap_or(0)
    }

    pub fn session_cookies(&self) -> Vec<String> {
        if self.session_cookies.is_empty() { vec!["sid".to_owned()] } else { self.session_cookies.clone() }
    }

    /// Refuses a mapping the driver could not apply, naming what is wrong.
    pub fn validate(&self) -> anyhow::Result<()> {
        for (name, marker) in &self.pages {
            anyhow::ensure!(
                contract::known_page(name),
                "[browser.pages.{name}]: no such page in the contract (`conformance contract` lists them)"
            );
            anyhow::ensure!(
                marker.path.is_some()
                    || marker.path_pattern.is_some()
                    || marker.selector.is_some()
                    || marker.text.is_some(),
                "[browser.pages.{name}] gives nothing to recognise the page by (path, path_pattern, selector or text)"
            );
            for (what, pattern) in [("path_pattern", &marker.path_pattern), ("text", &marker.text)] {
                if let Some(pattern) = pattern {
                    Regex::new(pattern).map_err(|e| anyhow::anyhow!("[browser.pages.{name}] {what}: {e}"))?;
                }
            }
        }
        for (i, rule) in self.outcomes.iter().enumerate() {
            let at = format!("[[browser.outcomes]] #{} ({:?})", i + 1, rule.text);
            Regex::new(&rule.text).map_err(|e| anyhow::anyhow!("{at}: {e}"))?;
            anyhow::ensure!(
                contract::OUTCOMES.iter().any(|(o, _)| *o == rule.outcome),
                "{at}: outcome {:?} is not one of {}",
                rule.outcome,
                contract::OUTCOMES.iter().map(|(o, _)| *o).collect::<Vec<_>>().join(", ")
            );
            match (rule.outcome.as_str(), rule.reason.as_deref()) {
                ("rejected", Some(reason)) => anyhow::ensure!(
                    contract::known_reason(reason),
                    "{at}: reason {reason:?} is not a reason code of the contract"
                ),
                ("rejected" | "invalid_request", None) => {
                    anyhow::bail!("{at}: a {} outcome needs a reason", rule.outcome)
                }
                _ => {}
            }
            if let Some(page) = &rule.page {
                anyhow::ensure!(contract::known_page(page), "{at}: page {page:?} is not in the contract");
            }
            let captures_at =
                Regex::new(&rule.text).is_ok_and(|re| re.capture_names().any(|n| n == Some("at")));
            if matches!(rule.outcome.as_str(), "rate_limited" | "locked") {
                anyhow::ensure!(
                    captures_at && rule.at_format.is_some(),
                    "{at}: a {} page must yield its time: capture it as (?P<at>…) and give at_format",
                    rule.outcome
                );
            }
            if let Some(format) = &rule.at_format {
                anyhow::ensure!(
                    captures_at,
                    "{at}: at_format is given but the text captures no (?P<at>…) group"
                );
                time::format_description::parse_borrowed::<2>(format)
                    .map_err(|e| anyhow::anyhow!("{at}: at_format: {e}"))?;
            }
            utc_offset(rule.at_utc_offset.as_deref()).map_err(|e| anyhow::anyhow!("{at}: {e}"))?;
        }
        Ok(())
    }

    /// The markers in force: the target's, and the default for every page it does not map.
    pub fn markers(&self) -> Vec<(&'static str, Marker)> {
        contract::PAGES
            .iter()
            .map(|page| {
                let name = page.name;
                let marker = match self.pages.get(name) {
                    Some(m) => Marker {
                        path: m.path.clone(),
                        path_pattern: m.path_pattern.as_deref().and_then(|p| Regex::new(p).ok()),
                        selector: m.selector.clone(),
                        text: m.text.as_deref().and_then(|t| Regex::new(t).ok()),
                    },
                    None => {
                        Marker { selector: Some(format!("main[data-page='{name}']")), ..Marker::default() }
                    }
                };
                (name, marker)
            })
            .collect()
    }
}

/// A compiled [`PageMarker`].
#[derive(Clone, Debug, Default)]
pub struct Marker {
    pub path: Option<String>,
    pub path_pattern: Option<Regex>,
    pub selector: Option<String>,
    pub text: Option<Regex>,
}

impl Marker {
    /// In words, for a report that says what was looked for.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.path {
            parts.push(format!("path {p}"));
        }
        if let Some(p) = &self.path_pattern {
            parts.push(format!("path matching {}", p.as_str()));
        }
        if let Some(s) = &self.selector {
            parts.push(format!("an element {s}"));
        }
        if let Some(t) = &self.text {
            parts.push(format!("text matching {}", t.as_str()));
        }
        parts.join(" and ")
    }
}

/// What the driver saw of one page, the input to recognising it.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    pub path: String,
    pub status: u16,
    /// The visible text of the whole page.
    pub text: String,
    /// For each marker with a selector (in [`Recogniser::selectors`] order): whether it matched.
    pub selectors_matched: Vec<bool>,
    /// For each rule's `within` selector (in [`Recogniser::within_selectors`] order): the
    /// text of the elements it matches.
    pub within_texts: Vec<String>,
}

/// The mapping, compiled once per driver.
#[derive(Clone, Debug)]
pub struct Recogniser {
    markers: Vec<(&'static str, Marker)>,
    rules: Vec<(usize, OutcomeRule, Regex)>,
}

/// A refusal a page showed, and which rule said so.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleMatch {
    pub outcome: String,
    pub reason: String,
    pub rule: String,
    /// The time the page showed, as captured, with how to read it.
    pub at: Option<ShownTime>,
}

/// A time as a page showed it.
#[derive(Clone, Debug, PartialEq)]
pub struct ShownTime {
    pub text: String,
    pub format: String,
    pub utc_offset: Option<String>,
}

impl ShownTime {
    /// The moment it names; a time without a date is on `today` (the service's date).
    pub fn resolve(&self, today: time::Date) -> anyhow::Result<time::OffsetDateTime> {
        let format = time::format_description::parse_borrowed::<2>(&self.format)?;
        let offset = utc_offset(self.utc_offset.as_deref())?;
        if let Ok(moment) = time::PrimitiveDateTime::parse(&self.text, &format) {
            return Ok(moment.assume_offset(offset));
        }
        let clock = time::Time::parse(&self.text, &format).map_err(|e| {
            anyhow::anyhow!("the page shows {:?}, which is not {:?}: {e}", self.text, self.format)
        })?;
        Ok(time::PrimitiveDateTime::new(today, clock).assume_offset(offset))
    }
}

fn utc_offset(text: Option<&str>) -> anyhow::Result<time::UtcOffset> {
    let Some(text) = text else { return Ok(time::UtcOffset::UTC) };
    let format = time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]");
    time::UtcOffset::parse(text, &format)
        .map_err(|e| anyhow::anyhow!("at_utc_offset {text:?} is not like +05:30 or -04:00: {e}"))
}

impl Recogniser {
    pub fn new(mapping: &BrowserMapping) -> Self {
        let rules = mapping
            .outcomes
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Regex::new(&r.text).ok().map(|re| (i + 1, r.clone(), re)))
            .collect();
        Self { markers: mapping.markers(), rules }
    }

    /// The `within` selectors of the outcome rules, in order, each once.
    pub fn within_selectors(&self) -> Vec<String> {
        let mut selectors: Vec<String> = Vec::new();
        for within in self.rules.iter().filter_map(|(_, r, _)| r.within.clone()) {
            if !selectors.contains(&within) {
                selectors.push(within);
            }
        }
        selectors
    }

    /// The CSS selectors the page must be asked about, in order.
    pub fn selectors(&self) -> Vec<String> {
        self.markers.iter().filter_map(|(_, m)| m.selector.clone()).collect()
    }

    pub fn marker(&self, name: &str) -> Option<&Marker> {
        self.markers.iter().find(|(n, _)| *n == name).map(|(_, m)| m)
    }

    /// Every page name whose marker the page meets.
    pub fn identify(&self, seen: &Seen) -> Vec<&'static str> {
        let mut selector_index = 0;
        let mut names = Vec::new();
        for (name, marker) in &self.markers {
            let selector_ok = match &marker.selector {
                Some(_) => {
                    let hit = seen.selectors_matched.get(selector_index).copied().unwrap_or(false);
                    selector_index += 1;
                    hit
                }
                None => true,
            };
            let ok = selector_ok
                && marker.path.as_ref().is_none_or(|p| *p == seen.path)
                && marker.path_pattern.as_ref().is_none_or(|p| p.is_match(&seen.path))
                && marker.text.as_ref().is_none_or(|t| t.is_match(&seen.text));
            if ok {
                names.push(*name);
            }
        }
        names
    }

    /// The refusal the page's words show by the target's outcome rules: a rule scoped to a
    /// page the page is recognised as wins over a page-less one, then file order decides.
    pub fn refusal(&self, seen: &Seen, pages: &[&str]) -> Option<RuleMatch> {
        let scoped =
            self.rules.iter().filter(|(_, r, _)| r.page.as_deref().is_some_and(|p| pages.contains(&p)));
        let global = self.rules.iter().filter(|(_, r, _)| r.page.is_none());
        let within = self.within_selectors();
        scoped.chain(global).find_map(|(i, rule, re)| {
            let text = match &rule.within {
                Some(selector) => {
                    let index = within.iter().position(|s| s == selector)?;
                    seen.within_texts.get(index)?.as_str()
                }
                None => seen.text.as_str(),
            };
            let captures = re.captures(text)?;
            let at = match (captures.name("at"), &rule.at_format) {
                (Some(text), Some(format)) => Some(ShownTime {
                    text: text.as_str().trim().to_owned(),
                    format: format.clone(),
                    utc_offset: rule.at_utc_offset.clone(),
                }),
                _ => None,
            };
            Some(RuleMatch {
                outcome: rule.outcome.clone(),
                reason: rule.reason.clone().unwrap_or_default(),
                rule: format!("[[browser.outcomes]] #{i} ({:?})", rule.text),
                at,
            })
        })
    }

    /// How precisely the pages show times, in seconds (0: exactly, as `data-at` does).
    pub fn time_precision_secs(&self) -> u64 {
        self.rules.iter().map(|(_, r, _)| r.at_precision_secs).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(toml_text: &str) -> BrowserMapping {
        let mapping: BrowserMapping = toml::from_str(toml_text).unwrap();
        mapping.validate().unwrap();
        mapping
    }

    fn seen(recogniser: &Recogniser, path: &str, text: &str, selectors: &[&str]) -> Seen {
        Seen {
            path: path.into(),
            status: 200,
            text: text.into(),
            selectors_matched: recogniser
                .selectors()
                .iter()
                .map(|s| selectors.contains(&s.as_str()))
                .collect(),
            within_texts: Vec::new(),
        }
    }

    #[test]
    fn default_markers_are_the_reference_pages_data_page() {
        let r = Recogniser::new(&BrowserMapping::default());
        let page = seen(&r, "/anything", "", &["main[data-page='check_email']"]);
        assert_eq!(r.identify(&page), vec!["check_email"]);
        assert!(r.identify(&seen(&r, "/sign-up/check-email", "Check your email", &[])).is_empty());
    }

    #[test]
    fn every_condition_of_a_marker_must_hold() {
        let m = mapping("[pages.reset_sent]\npath = \"/forgot\"\ntext = \"(?i)we sent\"");
        let r = Recogniser::new(&m);
        assert_eq!(r.identify(&seen(&r, "/forgot", "We sent you a link", &[])), vec!["reset_sent"]);
        assert!(r.identify(&seen(&r, "/forgot", "Forgot your password?", &[])).is_empty(), "the form again");
        assert!(r.identify(&seen(&r, "/other", "We sent you a link", &[])).is_empty());
    }

    #[test]
    fn page_scoped_rules_win_then_file_order() {
        let m = mapping(
            r#"
            [[outcomes]]
            text = "(?i)expired"
            outcome = "rejected"
            reason = "link_expired"
            [[outcomes]]
            text = "(?i)code has expired"
            outcome = "rejected"
            reason = "code_expired"
            page = "sign_in_code"
            "#,
        );
        let r = Recogniser::new(&m);
        let page = seen(&r, "/code", "That code has expired", &[]);
        let on_code_page = r.refusal(&page, &["sign_in_code"]).unwrap();
        assert_eq!(on_code_page.reason, "code_expired");
        assert!(on_code_page.rule.contains("#2"), "{}", on_code_page.rule);
        assert_eq!(r.refusal(&page, &[]).unwrap().reason, "link_expired");
        assert_eq!(r.refusal(&seen(&r, "/code", "Welcome", &[]), &[]), None);
    }

    #[test]
    fn a_rule_within_an_element_ignores_the_rest_of_the_page() {
        let m = mapping(
            r#"
            [[outcomes]]
            text = "at least 8 characters"
            within = "[role=alert]"
            outcome = "rejected"
            reason = "password_too_short"
            "#,
        );
        let r = Recogniser::new(&m);
        assert_eq!(r.within_selectors(), ["[role=alert]"]);
        let mut guidance = seen(&r, "/password", "Use at least 8 characters.", &[]);
        guidance.within_texts = vec![String::new()];
        assert_eq!(r.refusal(&guidance, &[]), None);
        let mut refused = guidance.clone();
        refused.within_texts = vec!["Your password must be at least 8 characters long.".into()];
        assert_eq!(r.refusal(&refused, &[]).unwrap().reason, "password_too_short");
    }

    #[test]
    fn shown_times_are_read_in_their_format_and_zone() {
        let m = mapping(
            r#"
            [[outcomes]]
            text = "(?i)try again after (?P<at>\\d{1,2}:\\d{2} [AP]M)"
            outcome = "rate_limited"
            at_format = "[hour repr:12 padding:none]:[minute] [period]"
            at_utc_offset = "-05:00"
            at_precision_secs = 60
            "#,
        );
        let r = Recogniser::new(&m);
        assert_eq!(r.time_precision_secs(), 60);
        let found = r.refusal(&seen(&r, "/code", "Try again after 3:16 PM today.", &[]), &[]).unwrap();
        let at = found.at.unwrap().resolve(time::macros::date!(2026 - 12 - 02)).unwrap();
        assert_eq!(at, time::macros::datetime!(2026-12-02 20:16 UTC));
    }

    #[test]
    fn mistakes_in_a_mapping_are_named() {
        for (text, expected) in [
            ("[pages.chek_email]\npath = \"/x\"", "chek_email"),
            ("[pages.check_email]\nfill = {}", "nothing to recognise"),
            ("[pages.check_email]\ntext = \"(\"", "text"),
            ("[[outcomes]]\ntext = \"x\"\noutcome = \"refused\"", "refused"),
            ("[[outcomes]]\ntext = \"x\"\noutcome = \"rejected\"", "needs a reason"),
            ("[[outcomes]]\ntext = \"x\"\noutcome = \"rejected\"\nreason = \"too_old\"", "too_old"),
            ("[[outcomes]]\ntext = \"wait\"\noutcome = \"rate_limited\"", "must yield its time"),
            ("[[outcomes]]\ntext = \"(?P<at>.*)\"\noutcome = \"locked\"\nat_format = \"[hour\"", "at_format"),
        ] {
            let m: BrowserMapping = toml::from_str(text).unwrap();
            let e = m.validate().unwrap_err().to_string();
            assert!(e.contains(expected), "{text}: {e}");
        }
    }
}
