//! Drivers carry out what a person does, in domain words, against a target.
//!
//! Step definitions speak only through [`Driver`]; the API driver uses the JSON API and the
//! browser driver (a real Chromium) the web pages. Outcomes are typed so that scenarios
//! assert exactly what happened.

pub mod accessibility;
pub mod api;
pub mod browser;
pub mod browsers;
pub mod chromedriver;
pub mod keyboard;
pub mod pages;

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use serde::Deserialize;
use time::OffsetDateTime;

/// How many requests the drivers sent to each of the target's instances (the browser: pages
/// opened by address; what a page links to stays on its instance). A spread run whose
/// requests all went to one instance checked nothing across instances: the report says so.
#[derive(Debug)]
pub struct Spread(Vec<(String, AtomicU64)>);

/// One instance's share of a run's requests.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct InstanceRequests {
    pub base_url: String,
    pub requests: u64,
}

impl Spread {
    pub fn new(base_urls: &[&str]) -> Self {
        Self(base_urls.iter().map(|u| ((*u).to_owned(), AtomicU64::new(0))).collect())
    }

    /// The instance the `n`th request goes to (in turn), counted.
    pub fn take(&self, n: usize) -> &str {
        let (url, count) = &self.0[n % self.0.len()];
        count.fetch_add(1, Ordering::Relaxed);
        url
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn counts(&self) -> Vec<InstanceRequests> {
        self.0
            .iter()
            .map(|(url, n)| InstanceRequests { base_url: url.clone(), requests: n.load(Ordering::Relaxed) })
            .collect()
    }
}

/// What the target answered to an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The action worked; `details` is what the target said about it (the JSON body for the
    /// API driver), used to compare two answers for sameness.
    Accepted { details: serde_json::Value },
    /// Refused for a stated reason (a stable code such as `password_too_short`).
    Rejected { reason: String, message: String },
    /// Too many requests; allowed again at `retry_at` when the target says so.
    RateLimited { retry_at: Option<OffsetDateTime>, message: String },
    /// Locked out until `until`.
    Locked { until: Option<OffsetDateTime>, message: String },
    /// The person was signed out; after too many wrong entries, locked out until then.
    SignedOut { locked_until: Option<OffsetDateTime> },
    /// The request itself was refused as malformed.
    Invalid { status: u16, reason: String },
    /// Anything else (a server error, an unexpected status or body): always a finding.
    Unexpected { status: u16, body: String },
}

impl Outcome {
    /// A text field of an accepted answer (such as the personal key shown).
    pub fn detail(&self, name: &str) -> Option<String> {
        match self {
            Self::Accepted { details } => {
                details.get(name).and_then(serde_json::Value::as_str).map(str::to_owned)
            }
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Accepted { .. } => "accepted",
            Self::Rejected { .. } => "rejected",
            Self::RateLimited { .. } => "rate limited",
            Self::Locked { .. } => "locked",
            Self::SignedOut { .. } => "signed out",
            Self::Invalid { .. } => "invalid request",
            Self::Unexpected { .. } => "unexpected answer",
        }
    }
}

/// Strength-meter guidance for a password (PW-2).
#[derive(Debug, Clone, Deserialize)]
pub struct Strength {
    pub score: u8,
    #[serde(default)]
    pub warning: Option<String>,
    #[serde(default)]
    pub suggestions: Vec<String>,
}

/// How a security code reaches the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Sms,
    Voice,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Voice => "voice",
        }
    }
}

/// The details on an ID, typed in to verify in person (IV-2).
#[derive(Clone, Debug, serde::Serialize)]
pub struct IdDetails {
    pub given_name: String,
    pub family_name: String,
    /// `YYYY-MM-DD`.
    pub birthdate: String,
    pub street_address: String,
    pub city: String,
    /// Two letters.
    pub state: String,
    pub zip: String,
}

/// One request and its response, kept for the report and for checks over everything the
/// target said (for example, that a password never comes back).
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: String,
    pub status: u16,
    pub response: String,
}

#[async_trait]
pub trait Driver: Send + Sync {
    /// Forget cookies and any other state: as if on a new device.
    async fn new_session(&mut self) -> anyhow::Result<()>;

    async fn start_sign_up(&mut self, email: &str) -> anyhow::Result<Outcome>;
    async fn resend_confirmation(&mut self) -> anyhow::Result<Outcome>;
    /// Reports misuse of the address through the link in the notice of a sign-up attempt
    /// (SU-7); accepted with the acknowledgement's `reference` in its details.
    async fn report_misuse(&mut self, link: &str) -> anyhow::Result<Outcome>;
    /// Follows a confirmation link received by email.
    async fn confirm_email(&mut self, link: &str) -> anyhow::Result<Outcome>;
    async fn choose_password(&mut self, password: &str) -> anyhow::Result<Outcome>;
    async fn password_strength(&mut self, password: &str) -> anyhow::Result<Strength>;

    /// Adds the phone during sign-up and asks for its confirmation code.
    async fn add_phone(&mut self, phone: &str, delivery: Delivery) -> anyhow::Result<Outcome>;
    async fn resend_phone_code(&mut self, delivery: Delivery) -> anyhow::Result<Outcome>;
    /// Enters the phone's confirmation code; an accepted answer shows the personal key.
    async fn confirm_phone(&mut self, code: &str) -> anyhow::Result<Outcome>;

    async fn sign_in(&mut self, email: &str, password: &str) -> anyhow::Result<Outcome>;
    async fn send_sign_in_code(&mut self, delivery: Delivery) -> anyhow::Result<Outcome>;
    async fn enter_sign_in_code(&mut self, code: &str) -> anyhow::Result<Outcome>;
    /// Signs in with the personal key; an accepted answer shows the new key.
    async fn use_personal_key(&mut self, key: &str) -> anyhow::Result<Outcome>;
    async fn sign_out(&mut self) -> anyhow::Result<Outcome>;
    /// Opens the account page: accepted with the account's email when signed in.
    async fn account(&mut self) -> anyhow::Result<Outcome>;
    async fn forgot_password(&mut self, email: &str) -> anyhow::Result<Outcome>;
    /// Follows an emailed reset link and chooses `password`.
    async fn reset_password(&mut self, link: &str, password: &str) -> anyhow::Result<Outcome>;

    async fn change_password(&mut self, current: &str, new: &str) -> anyhow::Result<Outcome>;
    async fn change_email(&mut self, current: &str, new_email: &str) -> anyhow::Result<Outcome>;
    /// Follows the link emailed to a new address.
    async fn confirm_email_change(&mut self, link: &str) -> anyhow::Result<Outcome>;
    async fn change_phone(
        &mut self,
        current: &str,
        phone: &str,
        delivery: Delivery,
    ) -> anyhow::Result<Outcome>;
    async fn confirm_phone_change(&mut self, code: &str) -> anyhow::Result<Outcome>;
    /// Starts adding an authenticator app; an accepted answer shows its `secret` (base32).
    async fn add_authenticator(&mut self, current: &str) -> anyhow::Result<Outcome>;
    async fn confirm_authenticator(&mut self, code: &str) -> anyhow::Result<Outcome>;
    async fn sign_in_with_authenticator(&mut self, code: &str) -> anyhow::Result<Outcome>;

    /// Follows an agency's authorization link (the whole URL the agency built). Accepted
    /// answers say `next`: `sign_in`, `consent` (with `agency` and `attributes`), or `redirect`
    /// (with `redirect_to`, the agency's address carrying a `code` or an `error`). A request
    /// that cannot be sent back anywhere is refused as `Invalid` with a reason.
    async fn open_agency_link(&mut self, url: &str) -> anyhow::Result<Outcome>;
    /// After signing in or creating an account for an agency: where its request goes now.
    async fn continue_to_agency(&mut self) -> anyhow::Result<Outcome>;
    /// Answers the consent question; accepted with `redirect_to`.
    async fn answer_consent(&mut self, allow: bool) -> anyhow::Result<Outcome>;
    /// The agencies the account shares with: accepted with `agencies`, each with `client_id`.
    async fn shared_agencies(&mut self) -> anyhow::Result<Outcome>;
    async fn stop_sharing(&mut self, client_id: &str) -> anyhow::Result<Outcome>;
    /// Follows an agency's logout link, like `open_agency_link`.
    async fn open_agency_logout(&mut self, url: &str) -> anyhow::Result<Outcome>;

    /// Identity verification (IV-1, IV-2): where the account stands — accepted with `status`:
    /// `unverified`, `verified`, `needs_personal_key`, `in_person_pending` (with
    /// `enrollment.enrollment_code`), `in_person_failed` or `in_person_expired`.
    async fn verification_status(&mut self) -> anyhow::Result<Outcome>;
    /// Agrees (or not) to have the ID, photo and details checked: the first step.
    async fn start_verification(&mut self, agree: bool) -> anyhow::Result<Outcome>;
    /// Uploads the front and back of the ID and the selfie (files on this machine: images, or
    /// test documents the fake vendor reads).
    async fn upload_documents(
        &mut self,
        front: &std::path::Path,
        back: &std::path::Path,
        selfie: &std::path::Path,
    ) -> anyhow::Result<Outcome>;
    /// In person (IV-2), after agreeing: the participating Post Offices near `zip` — accepted
    /// with `post_offices` (a list, in the order offered).
    async fn find_post_offices(&mut self, zip: &str) -> anyhow::Result<Outcome>;
    /// Chooses the Post Office at `index` (from 0) of those just offered.
    async fn choose_post_office(&mut self, index: usize) -> anyhow::Result<Outcome>;
    /// Enters the details as on the ID the person will bring.
    async fn enter_id_details(&mut self, details: &IdDetails) -> anyhow::Result<Outcome>;
    async fn enter_ssn(&mut self, ssn: &str) -> anyhow::Result<Outcome>;
    /// Enters the password to finish; an accepted answer shows the new personal key.
    async fn finish_verification(&mut self, password: &str) -> anyhow::Result<Outcome>;
    /// After a reset: the personal key and password restore the verified identity (PR-4);
    /// an accepted answer shows the new personal key.
    async fn reactivate_identity(&mut self, personal_key: &str, password: &str) -> anyhow::Result<Outcome>;

    /// AX-2: from now on, act with the keyboard alone (Tab to reach, Enter to send). `false`
    /// where the driver has no keyboard (the API).
    fn use_keyboard_only(&mut self) -> bool {
        false
    }
    /// What keyboard-only use found so far; `None` unless it is on.
    fn keyboard_report(&self) -> Option<keyboard::KeyboardReport> {
        None
    }

    /// An opaque value that changes whenever the target issues a new session identifier.
    async fn session_marker(&mut self) -> Option<String>;

    /// Replaces this driver's cookies with the session cookies `marker` names (as
    /// [`Driver::session_marker`] gave them): someone replaying a copied session cookie.
    async fn resume_session(&mut self, marker: &str) -> anyhow::Result<()>;

    /// Another driver on this one's session (the same cookies), to make requests in parallel
    /// with it; `None` when this driver cannot (a browser drives one page at a time).
    fn same_session(&self) -> Option<Box<dyn Driver>> {
        None
    }

    /// A driver holding a copy of this one's session cookies as they are now, which later
    /// changes to this driver's cookies do not touch (a copied cookie); `None` when it cannot.
    fn copy_of_session(&self) -> Option<Box<dyn Driver>> {
        None
    }

    /// Ends what the driver holds open (a browser session); the scenario is over.
    async fn close(&mut self) {}

    /// A screenshot (PNG) and the page source of where a failed scenario stopped.
    async fn failure_evidence(&mut self) -> Option<(Vec<u8>, String)> {
        None
    }

    /// Everything exchanged with the target so far in this scenario.
    fn transcript(&self) -> &[Exchange];
}

/// An answer as two answers are compared for sameness. Defined once, here, for every check
/// that must not tell two cases apart (SU-5, SI-2, PR-2): the same HTTP status and the same
/// body — for the JSON API the whole body, for a page its address, outcome, visible text and
/// form fields — once the address each case was about is masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    /// The answer to the latest request in `transcript`, with `addresses` masked.
    pub fn last_of(transcript: &[Exchange], addresses: &[&str]) -> anyhow::Result<Self> {
        let last = transcript.last().ok_or_else(|| anyhow::anyhow!("nothing was asked of the target yet"))?;
        let body = addresses
            .iter()
            .filter(|a| !a.is_empty())
            .fold(last.response.clone(), |body, address| body.replace(address, "«address»"));
        Ok(Self { status: last.status, body })
    }
}

/// Fails, saying where they differ, unless `a` and `b` are the same answer.
pub fn same_answer(what_a: &str, a: &Answer, what_b: &str, b: &Answer) -> anyhow::Result<()> {
    anyhow::ensure!(
        a.status == b.status,
        "{what_a} answered HTTP {}, {what_b} HTTP {}: the answers tell them apart",
        a.status,
        b.status
    );
    if a.body != b.body {
        let line = a.body.lines().zip(b.body.lines()).position(|(x, y)| x != y);
        let (x, y) = match line {
            Some(i) => (a.body.lines().nth(i).unwrap_or(""), b.body.lines().nth(i).unwrap_or("")),
            None => (a.body.as_str(), b.body.as_str()),
        };
        anyhow::bail!("{what_a} and {what_b} got different answers (status {}): {x:?} vs {y:?}", a.status);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(status: u16, response: &str) -> Exchange {
        Exchange { request: "POST /x".into(), status, response: response.into() }
    }

    #[test]
    fn answers_are_the_same_only_with_status_and_body() {
        let a = Answer::last_of(&[exchange(200, "sent to a@x.test")], &["a@x.test"]).unwrap();
        let b = Answer::last_of(&[exchange(200, "sent to b@x.test")], &["b@x.test"]).unwrap();
        same_answer("known", &a, "unknown", &b).unwrap();
        let c = Answer::last_of(&[exchange(404, "sent to b@x.test")], &["b@x.test"]).unwrap();
        let e = same_answer("known", &a, "unknown", &c).unwrap_err().to_string();
        assert!(e.contains("HTTP 200") && e.contains("HTTP 404"), "{e}");
        let d = Answer::last_of(&[exchange(200, "no account for b@x.test")], &["b@x.test"]).unwrap();
        assert!(same_answer("known", &a, "unknown", &d).is_err());
    }
}
