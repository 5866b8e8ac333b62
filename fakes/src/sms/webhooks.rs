//! What the provider sends to the service, as Twilio does: status callbacks, and the request
//! that fetches a call's TwiML from its `Url`. Each is signed with `X-Twilio-Signature` under
//! the account's auth token, so a service that validates signatures accepts them.

use std::sync::LazyLock;
use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use regex::Regex;
use sha1::Sha1;

/// Twilio's webhook signature: HMAC-SHA1 under the auth token of the full URL followed by
/// each POST parameter's name and value, sorted by name; base64.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut data = url.to_owned();
    for (name, value) in &sorted {
        data.push_str(name);
        data.push_str(value);
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key");
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The client webhooks go out with.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .user_agent("TwilioProxy/1.1 (fake)")
        .build()
        .expect("an HTTP client")
}

/// Sends `params` to `url` by `method` (GET: in the query, signed over the whole URL), signed.
pub async fn send(
    http: &reqwest::Client,
    auth_token: &str,
    method: &str,
    url: &str,
    params: &[(String, String)],
) -> anyhow::Result<reqwest::Response> {
    let request = if method.eq_ignore_ascii_case("GET") {
        let mut full = url::Url::parse(url)?;
        full.query_pairs_mut().extend_pairs(params);
        let signed = signature(auth_token, full.as_str(), &[]);
        http.get(full).header("X-Twilio-Signature", signed)
    } else {
        let signed = signature(auth_token, url, params);
        http.post(url).header("X-Twilio-Signature", signed).form(params)
    };
    Ok(request.send().await?.error_for_status()?)
}

/// Posts a status callback; a service that is down or answers an error only gets a log line,
/// as with Twilio.
pub async fn callback(
    http: &reqwest::Client,
    auth_token: &str,
    method: &str,
    url: &str,
    params: Vec<(String, String)>,
) {
    if let Err(error) = send(http, auth_token, method, url, &params).await {
        tracing::warn!(%url, %error, "status callback not taken");
    }
}

/// One thing a call does, read from TwiML.
#[derive(Debug, PartialEq, Eq)]
pub enum Verb {
    Say(String),
    Redirect { url: String, method: String },
    Hangup,
}

static VERBS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)<(Say|Redirect)\b([^>]*)>(.*?)</(?:Say|Redirect)>|<(Hangup|Reject)\b[^>]*>")
        .expect("TwiML pattern")
});
static METHOD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"method\s*=\s*["']([A-Za-z]+)["']"#).expect("method pattern"));

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The verbs of a TwiML document that say something or move the call on, in order
/// (`<Pause>` and unknown verbs say nothing).
pub fn verbs(twiml: &str) -> Vec<Verb> {
    VERBS
        .captures_iter(twiml)
        .map(|c| match (c.get(1).map(|m| m.as_str()), c.get(3)) {
            (Some("Say"), Some(text)) => Verb::Say(unescape(text.as_str().trim())),
            (Some(_), Some(url)) => Verb::Redirect {
                url: unescape(url.as_str().trim()),
                method: c
                    .get(2)
                    .and_then(|attrs| METHOD.captures(attrs.as_str()))
                    .map_or("POST".into(), |m| m[1].to_uppercase()),
            },
            _ => Verb::Hangup,
        })
        .collect()
}

/// What a call says: the text of its `<Say>` verbs up to a hang-up, or the TwiML itself
/// without tags when it has none (so nothing said is lost).
pub fn spoken_text(twiml: &str) -> String {
    let said: Vec<String> = verbs(twiml)
        .into_iter()
        .take_while(|v| *v != Verb::Hangup)
        .filter_map(|v| match v {
            Verb::Say(text) => Some(text),
            _ => None,
        })
        .collect();
    if said.is_empty() { twiml.to_owned() } else { said.join(" ") }
}

/// Fetches a call's TwiML from `url` and follows `<Redirect>` (at most 5 times), as Twilio
/// does once the call is answered. Returns every document fetched, in order.
pub async fn fetch_twiml(
    http: &reqwest::Client,
    auth_token: &str,
    method: &str,
    url: &str,
    params: &[(String, String)],
) -> anyhow::Result<Vec<String>> {
    let (mut method, mut url) = (method.to_owned(), url.to_owned());
    let mut documents = Vec::new();
    for _ in 0..=5 {
        let document = send(http, auth_token, &method, &url, params).await?.text().await?;
        let next = verbs(&document).into_iter().find_map(|v| match v {
            Verb::Redirect { url, method } => Some((url, method)),
            Verb::Hangup => Some((String::new(), String::new())),
            Verb::Say(_) => None,
        });
        documents.push(document);
        match next {
            Some((to, how)) if !to.is_empty() => {
                url = url::Url::parse(&url)?.join(&to)?.to_string();
                method = how;
            }
            _ => return Ok(documents),
        }
    }
    anyhow::bail!("more than 5 redirects")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_twilios() {
        // The example of Twilio's webhook security documentation.
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", &params),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
    }

    #[test]
    fn spoken_text_is_taken_from_say_verbs_up_to_a_hang_up() {
        let twiml = r#"<Response><Say voice="alice">Your code is 1, 2, 3 &amp; 4.</Say><Pause length="1"/><Say>Bye</Say><Hangup/><Say>never</Say></Response>"#;
        assert_eq!(spoken_text(twiml), "Your code is 1, 2, 3 & 4. Bye");
    }

    #[test]
    fn redirects_are_read_with_their_method() {
        let twiml = r#"<Response><Say>Hold on</Say><Redirect method="get">/next</Redirect></Response>"#;
        assert_eq!(
            verbs(twiml),
            [Verb::Say("Hold on".into()), Verb::Redirect { url: "/next".into(), method: "GET".into() }]
        );
    }
}
