//! The JSON API driver: one cookie-keeping HTTP client per person, as a browser would be.

use async_trait::async_trait;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use std::sync::Arc;

use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::cookie::{CookieStore, Jar};

use super::{Delivery, Driver, Exchange, Outcome, Strength};

pub struct ApiDriver {
    instances: Arc<Instances>,
    http: reqwest::Client,
    jar: Arc<InstancesJar>,
    transcript: Vec<Exchange>,
}

/// The service's instances, taken in turn request by request, so a scenario's requests spread
/// over all of them, as a balancer in front of them would.
struct Instances {
    spread: Arc<super::Spread>,
    next: AtomicUsize,
}

impl Instances {
    /// The API root of the next instance in turn.
    fn take(&self) -> String {
        format!(
            "{}/api/v1",
            self.spread.take(self.next.fetch_add(1, Ordering::Relaxed)).trim_end_matches('/')
        )
    }

    fn roots(&self) -> Vec<String> {
        self.spread.counts().into_iter().map(|c| c.base_url).collect()
    }

    /// The first instance: where the person's cookies are kept for all of them.
    fn home(&self) -> anyhow::Result<url::Url> {
        Ok(url::Url::parse(&self.roots()[0])?)
    }
}

/// One cookie jar for every instance: a cookie any instance sets is sent to all of them (kept
/// under the first instance's origin), as a browser behind one public address would send it.
#[derive(Default)]
struct InstancesJar {
    jar: Jar,
    /// The instances' origins, the first being where the cookies are kept.
    origins: Vec<url::Url>,
}

impl InstancesJar {
    fn new(instances: &Instances) -> Self {
        let origins = instances.roots().iter().filter_map(|a| url::Url::parse(a).ok()).collect();
        Self { jar: Jar::default(), origins }
    }

    fn kept_under(&self, url: &url::Url) -> url::Url {
        let mut kept = url.clone();
        if let Some(home) = self.origins.first()
            && self.origins.iter().any(|o| o.origin() == url.origin())
        {
            // Same scheme and host kinds: setting the parts of a parsed http(s) URL cannot fail.
            let _ = kept.set_scheme(home.scheme());
            let _ = kept.set_host(home.host_str());
            let _ = kept.set_port(home.port());
        }
        kept
    }

    /// A jar holding `cookies` ("name=value; name=value", as a `Cookie` header has them).
    fn holding(instances: &Instances, cookies: &str) -> anyhow::Result<Arc<Self>> {
        let jar = Self::new(instances);
        let home = instances.home()?;
        for pair in cookies.split("; ").filter(|p| !p.is_empty()) {
            jar.jar.add_cookie_str(&format!("{pair}; Path=/"), &home);
        }
        Ok(Arc::new(jar))
    }
}

impl CookieStore for InstancesJar {
    fn set_cookies(&self, headers: &mut dyn Iterator<Item = &reqwest::header::HeaderValue>, url: &url::Url) {
        self.jar.set_cookies(headers, &self.kept_under(url));
    }

    fn cookies(&self, url: &url::Url) -> Option<reqwest::header::HeaderValue> {
        self.jar.cookies(&self.kept_under(url))
    }
}

fn client(jar: Arc<InstancesJar>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}

impl ApiDriver {
    /// `spread`: the target's instances (one or more roots, e.g. `http://127.0.0.1:8080`), and
    /// the count of requests each is sent; the API is under `/api/v1` of each.
    pub fn new(spread: Arc<super::Spread>) -> Self {
        let instances = Arc::new(Instances { spread, next: AtomicUsize::new(0) });
        let jar = Arc::new(InstancesJar::new(&instances));
        Self { http: client(jar.clone()), jar, instances, transcript: Vec::new() }
    }

    async fn get(&mut self, path: &str) -> anyhow::Result<Outcome> {
        let url = format!("{}{path}", self.instances.take());
        let response = self.http.get(&url).send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        self.transcript.push(Exchange { request: format!("GET {url}"), status, response: text.clone() });
        Ok(outcome(status, &text))
    }

    async fn post(&mut self, path: &str, body: Value) -> anyhow::Result<(u16, String)> {
        let url = format!("{}{path}", self.instances.take());
        let response = self.http.post(&url).json(&body).send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        self.transcript.push(Exchange {
            request: format!("POST {url} {body}"),
            status,
            response: text.clone(),
        });
        Ok((status, text))
    }

    /// A `multipart/form-data` post of files, as a browser's file input sends them.
    async fn upload(&mut self, path: &str, files: &[(&str, &std::path::Path)]) -> anyhow::Result<Outcome> {
        let url = format!("{}{path}", self.instances.take());
        let mut form = reqwest::multipart::Form::new();
        let mut described = Vec::new();
        for (name, file) in files {
            let bytes = tokio::fs::read(file)
                .await
                .map_err(|e| anyhow::anyhow!("cannot read {} to upload: {e}", file.display()))?;
            described.push(format!("{name}={} ({} bytes)", file.display(), bytes.len()));
            let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let part =
                reqwest::multipart::Part::bytes(bytes).file_name(file_name).mime_str(media_type(file))?;
            form = form.part(name.to_string(), part);
        }
        let response =
            self.http.post(&url).header("X-Requested-With", "conformance").multipart(form).send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        self.transcript.push(Exchange {
            request: format!("POST {url} multipart: {}", described.join(", ")),
            status,
            response: text.clone(),
        });
        Ok(outcome(status, &text))
    }

    async fn act(&mut self, path: &str, body: Value) -> anyhow::Result<Outcome> {
        let (status, text) = self.post(path, body).await?;
        Ok(outcome(status, &text))
    }
}

/// The media type a browser would give a file of this name.
fn media_type(file: &std::path::Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// The API takes an emailed link's `token` parameter.
fn token_of(link: &str) -> anyhow::Result<String> {
    let url =
        url::Url::parse(link).map_err(|e| anyhow::anyhow!("the emailed link {link:?} is not a URL: {e}"))?;
    url.query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| anyhow::anyhow!("the emailed link {link} has no `token` parameter for the API"))
}

/// The API takes an agency link's query as it is.
fn query_of(link: &str) -> anyhow::Result<String> {
    let url =
        url::Url::parse(link).map_err(|e| anyhow::anyhow!("the agency's link {link:?} is not a URL: {e}"))?;
    Ok(url.query().unwrap_or_default().to_owned())
}

fn time_field(body: &Value, name: &str) -> Option<OffsetDateTime> {
    body.get(name).and_then(Value::as_str).and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
}

fn text_field(body: &Value, name: &str) -> String {
    body.get(name).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// Reads the API's typed outcome, checking that the status agrees with it.
pub fn outcome(status: u16, text: &str) -> Outcome {
    let unexpected = || Outcome::Unexpected { status, body: text.to_owned() };
    let Ok(body) = serde_json::from_str::<Value>(text) else { return unexpected() };
    let message = text_field(&body, "message");
    match (body.get("outcome").and_then(Value::as_str), status) {
        (Some("accepted"), 200..=299) => Outcome::Accepted { details: body },
        // A reason outside the contract is an answer the suite cannot interpret.
        (Some("rejected"), 400..=499) if crate::contract::known_reason(&text_field(&body, "reason")) => {
            Outcome::Rejected { reason: text_field(&body, "reason"), message }
        }
        (Some("rate_limited"), 429) => {
            Outcome::RateLimited { retry_at: time_field(&body, "retry_at"), message }
        }
        (Some("locked"), 400..=499) => Outcome::Locked { until: time_field(&body, "until"), message },
        (Some("signed_out"), 401) => Outcome::SignedOut { locked_until: time_field(&body, "locked_until") },
        (Some("invalid_request"), 400..=499) if !text_field(&body, "reason").is_empty() => {
            Outcome::Invalid { status, reason: text_field(&body, "reason") }
        }
        _ => unexpected(),
    }
}

#[async_trait]
impl Driver for ApiDriver {
    async fn new_session(&mut self) -> anyhow::Result<()> {
        self.jar = Arc::new(InstancesJar::new(&self.instances));
        self.http = client(self.jar.clone());
        Ok(())
    }

    async fn resume_session(&mut self, marker: &str) -> anyhow::Result<()> {
        self.jar = InstancesJar::holding(&self.instances, marker)?;
        self.http = client(self.jar.clone());
        Ok(())
    }

    fn copy_of_session(&self) -> Option<Box<dyn Driver>> {
        let cookies =
            self.jar.cookies(&self.instances.home().ok()?).and_then(|v| v.to_str().ok().map(str::to_owned));
        let jar = InstancesJar::holding(&self.instances, cookies.as_deref().unwrap_or_default()).ok()?;
        Some(Box::new(ApiDriver {
            instances: self.instances.clone(),
            http: client(jar.clone()),
            jar,
            transcript: Vec::new(),
        }))
    }

    fn same_session(&self) -> Option<Box<dyn Driver>> {
        Some(Box::new(ApiDriver {
            instances: self.instances.clone(),
            http: self.http.clone(),
            jar: self.jar.clone(),
            transcript: Vec::new(),
        }))
    }

    async fn start_sign_up(&mut self, email: &str) -> anyhow::Result<Outcome> {
        self.act("/sign-up", json!({ "email": email })).await
    }

    async fn resend_confirmation(&mut self) -> anyhow::Result<Outcome> {
        self.act("/sign-up/resend", json!({})).await
    }

    async fn confirm_email(&mut self, link: &str) -> anyhow::Result<Outcome> {
        let url = url::Url::parse(link)
            .map_err(|e| anyhow::anyhow!("the emailed link {link:?} is not a URL: {e}"))?;
        let token =
            url.query_pairs().find(|(k, _)| k == "token").map(|(_, v)| v.into_owned()).ok_or_else(|| {
                anyhow::anyhow!("the emailed link {link} has no `token` parameter for the API")
            })?;
        self.act("/sign-up/confirm", json!({ "token": token })).await
    }

    async fn report_misuse(&mut self, link: &str) -> anyhow::Result<Outcome> {
        self.act("/misuse-reports", json!({ "token": token_of(link)? })).await
    }

    async fn choose_password(&mut self, password: &str) -> anyhow::Result<Outcome> {
        self.act("/sign-up/password", json!({ "password": password })).await
    }

    async fn password_strength(&mut self, password: &str) -> anyhow::Result<Strength> {
        let (status, text) = self.post("/password/strength", json!({ "password": password })).await?;
        anyhow::ensure!(status == 200, "strength request answered HTTP {status}: {text}");
        Ok(serde_json::from_str(&text)?)
    }

    async fn add_phone(&mut self, phone: &str, delivery: Delivery) -> anyhow::Result<Outcome> {
        self.act("/sign-up/phone", json!({ "phone": phone, "delivery": delivery.as_str() })).await
    }

    async fn resend_phone_code(&mut self, delivery: Delivery) -> anyhow::Result<Outcome> {
        self.act("/sign-up/phone/resend", json!({ "delivery": delivery.as_str() })).await
    }

    async fn confirm_phone(&mut self, code: &str) -> anyhow::Result<Outcome> {
        self.act("/sign-up/phone/confirm", json!({ "code": code })).await
    }

    async fn sign_in(&mut self, email: &str, password: &str) -> anyhow::Result<Outcome> {
        self.act("/sign-in", json!({ "email": email, "password": password })).await
    }

    async fn send_sign_in_code(&mut self, delivery: Delivery) -> anyhow::Result<Outcome> {
        self.act("/sign-in/code/send", json!({ "delivery": delivery.as_str() })).await
    }

    async fn enter_sign_in_code(&mut self, code: &str) -> anyhow::Result<Outcome> {
        self.act("/sign-in/code", json!({ "code": code })).await
    }

    async fn use_personal_key(&mut self, key: &str) -> anyhow::Result<Outcome> {
        self.act("/sign-in/personal-key", json!({ "personal_key": key })).await
    }

    async fn sign_out(&mut self) -> anyhow::Result<Outcome> {
        self.act("/sign-out", json!({})).await
    }

    async fn account(&mut self) -> anyhow::Result<Outcome> {
        self.get("/account").await
    }

    async fn verification_status(&mut self) -> anyhow::Result<Outcome> {
        self.get("/verification").await
    }

    async fn start_verification(&mut self, agree: bool) -> anyhow::Result<Outcome> {
        self.act("/verification/consent", json!({ "agree": agree })).await
    }

    async fn upload_documents(
        &mut self,
        front: &std::path::Path,
        back: &std::path::Path,
        selfie: &std::path::Path,
    ) -> anyhow::Result<Outcome> {
        self.upload("/verification/documents", &[("front", front), ("back", back), ("selfie", selfie)]).await
    }

    async fn find_post_offices(&mut self, zip: &str) -> anyhow::Result<Outcome> {
        self.act("/verification/in-person/post-offices", json!({ "zip": zip })).await
    }

    async fn choose_post_office(&mut self, index: usize) -> anyhow::Result<Outcome> {
        self.act("/verification/in-person/post-office", json!({ "post_office": index })).await
    }

    async fn enter_id_details(&mut self, details: &super::IdDetails) -> anyhow::Result<Outcome> {
        self.act("/verification/in-person/details", serde_json::to_value(details)?).await
    }

    async fn enter_ssn(&mut self, ssn: &str) -> anyhow::Result<Outcome> {
        self.act("/verification/ssn", json!({ "ssn": ssn })).await
    }

    async fn finish_verification(&mut self, password: &str) -> anyhow::Result<Outcome> {
        self.act("/verification/password", json!({ "password": password })).await
    }

    async fn reactivate_identity(&mut self, personal_key: &str, password: &str) -> anyhow::Result<Outcome> {
        self.act("/verification/reactivate", json!({ "personal_key": personal_key, "password": password }))
            .await
    }

    async fn forgot_password(&mut self, email: &str) -> anyhow::Result<Outcome> {
        self.act("/password/forgot", json!({ "email": email })).await
    }

    async fn reset_password(&mut self, link: &str, password: &str) -> anyhow::Result<Outcome> {
        self.act("/password/reset", json!({ "token": token_of(link)?, "password": password })).await
    }

    async fn change_password(&mut self, current: &str, new: &str) -> anyhow::Result<Outcome> {
        self.act("/account/password", json!({ "current_password": current, "new_password": new })).await
    }

    async fn change_email(&mut self, current: &str, new_email: &str) -> anyhow::Result<Outcome> {
        self.act("/account/email", json!({ "current_password": current, "email": new_email })).await
    }

    async fn confirm_email_change(&mut self, link: &str) -> anyhow::Result<Outcome> {
        self.act("/account/email/confirm", json!({ "token": token_of(link)? })).await
    }

    async fn change_phone(
        &mut self,
        current: &str,
        phone: &str,
        delivery: Delivery,
    ) -> anyhow::Result<Outcome> {
        let body = json!({ "current_password": current, "phone": phone, "delivery": delivery.as_str() });
        self.act("/account/phone", body).await
    }

    async fn confirm_phone_change(&mut self, code: &str) -> anyhow::Result<Outcome> {
        self.act("/account/phone/confirm", json!({ "code": code })).await
    }

    async fn add_authenticator(&mut self, current: &str) -> anyhow::Result<Outcome> {
        self.act("/account/authenticator", json!({ "current_password": current })).await
    }

    async fn confirm_authenticator(&mut self, code: &str) -> anyhow::Result<Outcome> {
        self.act("/account/authenticator/confirm", json!({ "code": code })).await
    }

    async fn sign_in_with_authenticator(&mut self, code: &str) -> anyhow::Result<Outcome> {
        self.act("/sign-in/authenticator", json!({ "code": code })).await
    }

    async fn open_agency_link(&mut self, url: &str) -> anyhow::Result<Outcome> {
        self.get(&format!("/agency/authorize?{}", query_of(url)?)).await
    }

    async fn continue_to_agency(&mut self) -> anyhow::Result<Outcome> {
        self.get("/agency/continue").await
    }

    async fn answer_consent(&mut self, allow: bool) -> anyhow::Result<Outcome> {
        self.act("/agency/consent", json!({ "allow": allow })).await
    }

    async fn shared_agencies(&mut self) -> anyhow::Result<Outcome> {
        self.get("/account/agencies").await
    }

    async fn stop_sharing(&mut self, client_id: &str) -> anyhow::Result<Outcome> {
        self.act("/account/agencies/revoke", json!({ "client_id": client_id })).await
    }

    async fn open_agency_logout(&mut self, url: &str) -> anyhow::Result<Outcome> {
        self.get(&format!("/agency/logout?{}", query_of(url)?)).await
    }

    async fn session_marker(&mut self) -> Option<String> {
        self.jar.cookies(&self.instances.home().ok()?).and_then(|v| v.to_str().ok().map(str::to_owned))
    }

    fn transcript(&self) -> &[Exchange] {
        &self.transcript
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_from_any_instance_goes_to_all_of_them_and_nowhere_else() {
        let spread = Arc::new(super::super::Spread::new(&["http://a.test:1", "http://b.test:2/"]));
        let instances = Instances { spread: spread.clone(), next: AtomicUsize::new(0) };
        assert_eq!(
            [instances.take(), instances.take(), instances.take()],
            ["http://a.test:1/api/v1", "http://b.test:2/api/v1", "http://a.test:1/api/v1"]
        );
        let jar = InstancesJar::new(&instances);
        let set = reqwest::header::HeaderValue::from_static("session=s1; Path=/; HttpOnly");
        jar.set_cookies(
            &mut std::iter::once(&set),
            &url::Url::parse("http://b.test:2/api/v1/sign-in").unwrap(),
        );
        let sent =
            |url: &str| jar.cookies(&url::Url::parse(url).unwrap()).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(sent("http://a.test:1/api/v1/account").as_deref(), Some("session=s1"));
        assert_eq!(sent("http://b.test:2/api/v1/account").as_deref(), Some("session=s1"));
        assert_eq!(sent("http://agency.test/callback"), None, "not an instance: its own cookies");
    }

    #[test]
    fn outcomes_must_agree_with_their_status() {
        assert!(matches!(outcome(200, r#"{"outcome":"accepted"}"#), Outcome::Accepted { .. }));
        assert!(matches!(outcome(500, r#"{"outcome":"accepted"}"#), Outcome::Unexpected { status: 500, .. }));
        assert_eq!(
            outcome(422, r#"{"outcome":"rejected","reason":"link_used","message":"m"}"#),
            Outcome::Rejected { reason: "link_used".into(), message: "m".into() }
        );
        assert!(matches!(
            outcome(429, r#"{"outcome":"rate_limited","retry_at":"2026-01-01T00:15:00Z","message":"m"}"#),
            Outcome::RateLimited { retry_at: Some(_), .. }
        ));
        assert!(matches!(outcome(502, "<html>bad gateway</html>"), Outcome::Unexpected { .. }));
    }

    #[test]
    fn a_reason_outside_the_contract_is_not_guessed_at() {
        for body in [
            r#"{"outcome":"rejected","reason":"code_is_old","message":"m"}"#,
            r#"{"outcome":"rejected","message":"m"}"#,
        ] {
            assert!(matches!(outcome(422, body), Outcome::Unexpected { status: 422, .. }), "{body}");
        }
        assert!(matches!(outcome(400, r#"{"outcome":"invalid_request"}"#), Outcome::Unexpected { .. }));
    }
}
