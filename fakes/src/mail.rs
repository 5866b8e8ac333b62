//! A real SMTP server that keeps what it receives.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use mailin_embedded::{Handler, Response, Server, response};
use mailparse::{MailHeaderMap, ParsedMail};
use regex::Regex;
use serde::Serialize;
use time::OffsetDateTime;

use crate::inbox::{Delivered, Inbox};

/// One message as the SMTP conversation delivered it, decoded.
#[derive(Clone, Debug, Serialize)]
pub struct Mail {
    pub id: u64,
    /// Envelope sender (`MAIL FROM`).
    pub from: String,
    /// Envelope recipients (`RCPT TO`), so Bcc recipients are included.
    pub to: Vec<String>,
    pub subject: String,
    /// The `text/plain` part, transfer-decoded.
    pub text: String,
    /// The `text/html` part, transfer-decoded, when there is one.
    pub html: Option<String>,
    /// Every http(s) link in the text and HTML parts, in order of appearance, without repeats.
    pub links: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

impl Delivered for Mail {
    fn id(&self) -> u64 {
        self.id
    }
    fn is_for(&self, recipient: &str) -> bool {
        self.to.iter().any(|to| to.eq_ignore_ascii_case(recipient.trim()))
    }
}

/// The running SMTP server and its inbox.
pub struct FakeMail {
    addr: SocketAddr,
    inbox: Arc<Inbox<Mail>>,
}

impl FakeMail {
    /// Listens on `addr` (port 0: a free port) and serves SMTP on a background thread pool.
    pub fn start(addr: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let inbox = Arc::new(Inbox::default());
        let mut server = Server::new(SmtpSession { inbox: inbox.clone(), ..SmtpSession::default() });
        server.with_name("fake-mail.localhost").with_num_threads(16).with_tcp_listener(listener);
        std::thread::Builder::new().name("fake-smtp".into()).spawn(move || {
            if let Err(error) = server.serve() {
                tracing::error!(%error, "fake SMTP server stopped");
            }
        })?;
        Ok(Self { addr, inbox })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn inbox(&self) -> &Inbox<Mail> {
        &self.inbox
    }

    /// Messages to `to`, oldest first.
    pub fn messages(&self, to: &str) -> Vec<Mail> {
        self.inbox.filtered(Some(to))
    }

    /// Waits for a message to `to` (one already there counts), waking on arrival.
    pub async fn wait_for_message(&self, to: &str, timeout: Duration) -> Option<Mail> {
        self.inbox.wait_for(to, timeout).await
    }

    pub fn clear(&self) {
        self.inbox.clear();
    }
}

/// One SMTP connection's state; mailin-embedded clones it for every connection.
#[derive(Clone, Default)]
struct SmtpSession {
    inbox: Arc<Inbox<Mail>>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for SmtpSession {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.from = from.to_owned();
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        match parse(&self.data) {
            Ok(parsed) => {
                let (from, to) = (std::mem::take(&mut self.from), std::mem::take(&mut self.to));
                self.inbox.push(|id| Mail {
                    id,
                    from,
                    to,
                    subject: parsed.subject,
                    links: links_in(&parsed.text, parsed.html.as_deref()),
                    text: parsed.text,
                    html: parsed.html,
                    received_at: OffsetDateTime::now_utc(),
                });
                response::OK
            }
            Err(error) => {
                tracing::warn!(%error, "fake SMTP server refused an unparseable message");
                response::TRANSACTION_FAILED
            }
        }
    }
}

struct Parsed {
    subject: String,
    text: String,
    html: Option<String>,
}

fn parse(raw: &[u8]) -> Result<Parsed, mailparse::MailParseError> {
    let mail = mailparse::parse_mail(raw)?;
    let subject = mail.headers.get_first_value("Subject").unwrap_or_default();
    let (mut text, mut html) = (None, None);
    collect_bodies(&mail, &mut text, &mut html)?;
    Ok(Parsed { subject, text: text.unwrap_or_default(), html })
}

/// Finds the first text/plain and text/html parts anywhere in the MIME tree.
fn collect_bodies(
    part: &ParsedMail<'_>,
    text: &mut Option<String>,
    html: &mut Option<String>,
) -> Result<(), mailparse::MailParseError> {
    if part.subparts.is_empty() {
        match part.ctype.mimetype.as_str() {
            "text/plain" if text.is_none() => *text = Some(part.get_body()?),
            "text/html" if html.is_none() => *html = Some(part.get_body()?),
            _ => {}
        }
    }
    for sub in &part.subparts {
        collect_bodies(sub, text, html)?;
    }
    Ok(())
}

static LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"https?://[^\s<>"'`)\]]+"#).expect("link pattern"));

/// Links in order of first appearance; HTML's `&amp;` is undone so links can be followed.
pub fn links_in(text: &str, html: Option<&str>) -> Vec<String> {
    let mut links: Vec<String> = Vec::new();
    for body in std::iter::once(text).chain(html) {
        for m in LINK.find_iter(body) {
            let link = m.as_str().replace("&amp;", "&");
            let link = link.trim_end_matches(['.', ',', ';']).to_owned();
            if !links.contains(&link) {
                links.push(link);
            }
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_quoted_printable_and_base64_alternatives() {
        let raw =
            b"From: a@example.test\r\nTo: b@example.test\r\nSubject: =?utf-8?q?Confirm_your_email?=\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"XX\"\r\n\r\n\
--XX\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
Follow http://localhost:1/confirm?token=3Dabc&x=3D1 to go on. Caf=C3=A9\r\n\
--XX\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n\
PGEgaHJlZj0iaHR0cDovL2xvY2FsaG9zdDoxL2NvbmZpcm0/dG9rZW49YWJjJmFtcDt4PTEiPmdvPC9hPg==\r\n--XX--\r\n";
        let parsed = parse(raw).unwrap();
        assert_eq!(parsed.subject, "Confirm your email");
        assert!(parsed.text.contains("token=abc&x=1"), "{}", parsed.text);
        assert!(parsed.text.contains("Café"));
        let html = parsed.html.unwrap();
        assert!(html.contains("<a href="), "{html}");
        let links = links_in(&parsed.text, Some(&html));
        assert_eq!(links, vec!["http://localhost:1/confirm?token=abc&x=1".to_owned()]);
    }

    #[test]
    fn trailing_punctuation_is_not_part_of_a_link() {
        assert_eq!(
            links_in("See https://a.test/x. Or (https://b.test/y).", None),
            vec!["https://a.test/x".to_owned(), "https://b.test/y".to_owned()]
        );
    }
}
