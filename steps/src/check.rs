//! `check-target`: reach every endpoint a target file names and explain each problem in words
//! a newcomer understands, before any scenario runs.

use std::time::Duration;

use serde_json::Value;

use crate::target::{DriverKind, Target};

/// One check's result.
#[derive(Debug, Clone)]
pub struct Finding {
    pub ok: bool,
    pub what: String,
    /// What was found, or what to do about it.
    pub detail: String,
}

fn finding(ok: bool, what: &str, detail: impl Into<String>) -> Finding {
    Finding { ok, what: what.to_owned(), detail: detail.into() }
}

fn unreachable(url: &str, error: &reqwest::Error, hint: &str) -> String {
    let why = if error.is_connect() {
        "nothing is listening there".to_owned()
    } else if error.is_timeout() {
        "it did not answer within 5 seconds".to_owned()
    } else {
        error.to_string()
    };
    format!("{url} cannot be reached ({why}). {hint}")
}

/// Checks the target's service, its JSON API (for the API driver), its clock hook and the
/// fakes' inbox. Every finding is returned, good or bad.
pub async fn check_target(target: &Target) -> Vec<Finding> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("HTTP client");
    let mut findings = Vec::new();
    let base = target.base_url.trim_end_matches('/');

    match http.get(base).send().await {
        Ok(response) => findings.push(finding(
            true,
            "service",
            format!("{base} answers (HTTP {})", response.status().as_u16()),
        )),
        Err(e) => {
            findings.push(finding(
                false,
                "service",
                unreachable(base, &e, "Is your service running, and is `base_url` its address?"),
            ));
            return findings;
        }
    }

    if target.driver == DriverKind::Api {
        let url = format!("{base}/api/v1/sign-up");
        let answer = http.post(&url).json(&serde_json::json!({})).send().await;
        let ok = match answer {
            Ok(r) => r.json::<Value>().await.ok().is_some_and(|body| body.get("outcome").is_some()),
            Err(_) => false,
        };
        findings.push(if ok {
            finding(true, "JSON API", format!("{base}/api/v1 answers with typed outcomes"))
        } else {
            finding(
                false,
                "JSON API",
                format!(
                    "POST {url} did not answer with a JSON body carrying an `outcome`. The API driver needs the JSON API \
                     described in reference-server/openapi.json; use `driver = \"browser\"` to test web pages instead."
                ),
            )
        });
    }

    match &target.clock {
        None => findings.push(finding(
            true,
            "clock hook",
            "none declared: scenarios and properties that move time will be reported as not run (needs clock control)",
        )),
        Some(clock) => match clock.token.as_ref().map_or_else(|| http.get(&clock.hook_url), |t| http.get(&clock.hook_url).bearer_auth(t)).send().await {
            Ok(r) if r.status().is_success() => {
                let body: Option<Value> = r.json().await.ok();
                let now = body.as_ref().and_then(|b| b.get("now")).and_then(Value::as_str).map(str::to_owned);
                let parsed = now.as_deref().map(|n| time::OffsetDateTime::parse(n, &time::format_description::well_known::Rfc3339));
                findings.push(match parsed {
                    Some(Ok(_)) => finding(true, "clock hook", format!("{} says it is {}", clock.hook_url, now.unwrap_or_default())),
                    _ => finding(false, "clock hook", format!(
                        "{} answered, but not with {{\"now\": \"<RFC 3339 time>\"}}. A clock hook answers GET with the \
                         target's time and moves it on POST {{\"advance_seconds\": n}}.", clock.hook_url)),
                });
            }
            Ok(r) if r.status() == reqwest::StatusCode::UNAUTHORIZED => findings.push(finding(false, "clock hook", format!(
                "{} answered 401: the service's hook wants a bearer token. Set `[clock] token` to the token the \
                 service was started with (the reference server: --conformance-hook-token){}.",
                clock.hook_url,
                if clock.token.is_some() { "; the one given was refused" } else { "" }))),
            Ok(r) => findings.push(finding(false, "clock hook", format!(
                "{} answered HTTP {}. Is the service started with its conformance hooks on (the reference server: \
                 --conformance-hooks)?", clock.hook_url, r.status().as_u16()))),
            Err(e) => findings.push(finding(false, "clock hook", unreachable(&clock.hook_url, &e, "Check `[clock] hook_url`."))),
        },
    }

    if let Some(deliveries) = &target.deliveries {
        let hook = crate::deliveries::DeliveriesHook::new(deliveries);
        findings.push(match hook.waiting().await {
            Ok(waiting) => finding(
                true,
                "deliveries hook",
                format!("{} says {waiting} message(s) wait to be sent", deliveries.hook_url),
            ),
            Err(error) => finding(
                false,
                "deliveries hook",
                format!(
                    "{error:#}. A deliveries hook answers GET with {{\"waiting\": <count>}} (the reference \
                     server: --conformance-hooks; `[deliveries] token` for its bearer token)."
                ),
            ),
        });
    }

    match &target.oidc {
        None => findings.push(finding(
            true,
            "agencies (OpenID Connect)",
            "none declared: agency sign-in scenarios will be reported as not run",
        )),
        Some(oidc) => {
            for (name, settings) in &oidc.agencies {
                let what = format!("agency {name}");
                findings.push(match crate::agency::Agency::discover(name, &oidc.issuer, settings.clone()).await {
                    Ok(agency) => finding(true, &what, format!(
                        "discovery and keys read from {}; {} (token endpoint {})",
                        oidc.issuer,
                        if agency.is_public() { "public client using PKCE" } else { "private_key_jwt with its key" },
                        agency.token_endpoint().unwrap_or_default()
                    )),
                    Err(e) => finding(false, &what, format!(
                        "{e:#}. Check `[oidc] issuer` (discovery must answer at {}/.well-known/openid-configuration) \
                         and the agency's settings.", oidc.issuer.trim_end_matches('/'))),
                });
            }
        }
    }

    let inbox = format!("{}/api/mail?to=check-target@example.test", target.inbox.url.trim_end_matches('/'));
    let answer = match http.get(&inbox).send().await {
        Ok(r) if r.status().is_success() => Ok(r.json::<Value>().await.ok()),
        Ok(r) => Ok(Some(Value::from(r.status().as_u16()))),
        Err(e) => Err(e),
    };
    findings.push(match answer {
        Ok(Some(body)) if body.get("messages").is_some() => {
            finding(true, "inbox", format!("the fakes' inbox answers at {}", target.inbox.url))
        }
        Ok(_) => finding(false, "inbox", format!(
            "{} answered, but not like the fakes' inbox API. Start the fakes with `conformance fakes` and put the inbox URL \
             it prints in `[inbox] url`.", target.inbox.url)),
        Err(e) => finding(false, "inbox", unreachable(&target.inbox.url, &e,
            "Start the fakes with `conformance fakes` (and point your service's SMTP and SMS settings at them).")),
    });

    if target.driver == DriverKind::Browser {
        findings.extend(check_pages(target).await);
    }

    let p = &target.policy;
    let positive = p.code_lifetime_secs > 0
        && p.code_request_limit > 0
        && p.code_request_window_secs > 0
        && p.code_attempt_limit > 0
        && p.lockout_secs > 0
        && p.session_idle_timeout_secs > 0
        && p.reauthentication_attempt_limit > 0;
    findings.push(if positive {
        finding(true, "declared policy", format!("{p:?}"))
    } else {
        finding(false, "declared policy", "every value in [policy] must be above zero")
    });
    findings
}

/// The browser driver's view of the first pages, in a real Chromium.
async fn check_pages(target: &Target) -> Vec<Finding> {
    let chromedriver = match crate::driver::chromedriver::ChromeDriver::start().await {
        Ok(c) => c,
        Err(e) => return vec![finding(false, "browser", format!("{e:#}"))],
    };
    let browsers =
        std::sync::Arc::new(crate::driver::browsers::BrowserPool::new(chromedriver.endpoint.clone()));
    let settings = crate::driver::browser::BrowserSettings {
        browsers,
        mapping: target.browser.clone(),
        clock: None,
        audit: None,
    };
    let mut driver = crate::driver::browser::BrowserDriver::new(
        std::sync::Arc::new(crate::driver::Spread::new(&target.instances())),
        settings,
    );
    driver
        .walk_first_pages()
        .await
        .into_iter()
        .map(|c| Finding { ok: c.ok, what: c.what, detail: c.detail })
        .collect()
}

/// The findings as lines for a terminal.
pub fn render(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("  {} {:<16} {}\n", if f.ok { "ok  " } else { "FAIL" }, f.what, f.detail))
        .collect()
}
