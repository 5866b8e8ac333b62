//! A real SMTP server that keeps what it receives.
//!
//! The protocol core is the `mailin` crate's state machine; this module drives it from tokio,
//! one task per connection. As many connections are served at once as `max_connections`
//! allows; one more is told `421` and closed at once, never left waiting for a greeting. A
//! connection silent for `idle_timeout` is closed with `421`. Offered as production mail
//! settings expect: STARTTLS (a certificate made at start, or yours), implicit TLS on a second
//! port, optional `AUTH PLAIN` and `LOGIN` (any credentials, or the configured ones), `SIZE`,
//! `SMTPUTF8`, `8BITMIME` and `PIPELINING`.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use mailin::{Action, Handler, Response, Session, SessionBuilder};
use mailparse::{MailHeaderMap, ParsedMail};
use regex::Regex;
use serde::Serialize;
use time::OffsetDateTime;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::faults::{Faults, MailFault, SmtpStage};
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

/// How the SMTP server listens and what it accepts.
#[derive(Clone, Debug)]
pub struct MailConfig {
    /// SMTP with STARTTLS offered (port 0: a free port).
    pub addr: SocketAddr,
    /// Implicit TLS from the first byte (465-style), if wanted.
    pub tls_addr: Option<SocketAddr>,
    /// Connections served at once; one more is refused with 421.
    pub max_connections: usize,
    /// A connection silent this long is closed.
    pub idle_timeout: Duration,
    /// The largest message accepted (advertised as `SIZE`).
    pub max_message_bytes: usize,
    /// The only user and password `AUTH` accepts; `None`: any (AUTH stays optional either way).
    pub credentials: Option<(String, String)>,
    /// A PEM certificate chain and key for TLS; `None`: a self-signed one made at start.
    pub tls_files: Option<(PathBuf, PathBuf)>,
}

impl MailConfig {
    /// Listening on `addr`, with the defaults.
    pub fn on(addr: SocketAddr) -> Self {
        Self {
            addr,
            tls_addr: None,
            max_connections: 256,
            idle_timeout: Duration::from_secs(30),
            max_message_bytes: 10 * 1024 * 1024,
            credentials: None,
            tls_files: None,
        }
    }
}

/// The running SMTP server and its inbox.
pub struct FakeMail {
    addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    inbox: Arc<Inbox<Mail>>,
    faults: Arc<Faults>,
    certificate_pem: String,
    fingerprint: String,
}

/// What every connection shares.
struct Shared {
    config: MailConfig,
    inbox: Arc<Inbox<Mail>>,
    faults: Arc<Faults>,
    tls: TlsAcceptor,
    slots: Arc<Semaphore>,
}

/// The longest line read before the connection is refused: SMTP's limit is 1,000 octets;
/// clients that fold long headers badly get room to spare.
const MAX_LINE: u64 = 64 * 1024;

/// The server's name in its greeting and EHLO answer.
const NAME: &str = "fake-mail.localhost";

impl FakeMail {
    /// Starts listening; connections are served on the tokio runtime.
    pub async fn start(config: MailConfig) -> anyhow::Result<Self> {
        Self::start_with(config, Arc::default()).await
    }

    /// Starts listening, answering with the `faults` switched on (see `faults`).
    pub async fn start_with(config: MailConfig, faults: Arc<Faults>) -> anyhow::Result<Self> {
        let (certificate_pem, key_pem) = match &config.tls_files {
            Some((cert, key)) => (std::fs::read_to_string(cert)?, std::fs::read_to_string(key)?),
            None => {
                let made = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])?;
                (made.cert.pem(), made.key_pair.serialize_pem())
            }
        };
        let (tls, fingerprint) = acceptor(&certificate_pem, &key_pem)?;
        let listener = TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let tls_listener = match config.tls_addr {
            Some(tls_addr) => Some(TcpListener::bind(tls_addr).await?),
            None => None,
        };
        let tls_addr = tls_listener.as_ref().map(TcpListener::local_addr).transpose()?;
        let inbox = Arc::new(Inbox::default());
        let shared = Arc::new(Shared {
            slots: Arc::new(Semaphore::new(config.max_connections)),
            config,
            inbox: inbox.clone(),
            faults: faults.clone(),
            tls,
        });
        tokio::spawn(accept(listener, shared.clone(), false));
        if let Some(listener) = tls_listener {
            tokio::spawn(accept(listener, shared, true));
        }
        Ok(Self { addr, tls_addr, inbox, faults, certificate_pem, fingerprint })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The implicit-TLS port's address, when one was asked for.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// The TLS certificate (PEM), for a client that verifies it.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// SHA-256 of the TLS certificate, as `AB:CD:…`.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn inbox(&self) -> &Inbox<Mail> {
        &self.inbox
    }

    /// Keeps a message that came by another way than SMTP (the SES-shaped API): `raw` MIME, or
    /// the parts of a simple one.
    pub fn store(&self, from: String, to: Vec<String>, content: Content) -> Result<Mail, String> {
        let parsed = match content {
            Content::Raw(raw) => parse(&raw).map_err(|e| format!("the raw message cannot be parsed: {e}"))?,
            Content::Simple { subject, text, html } => Parsed { subject, text, html },
        };
        Ok(keep(&self.inbox, from, to, parsed))
    }

    /// The faults this server answers with (shared with the SMS fake under `Fakes`).
    pub fn faults(&self) -> &Faults {
        &self.faults
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

/// A TLS acceptor for the PEM certificate chain and key, and the certificate's fingerprint.
fn acceptor(certificate_pem: &str, key_pem: &str) -> anyhow::Result<(TlsAcceptor, String)> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use sha2::Digest as _;
    let chain = CertificateDer::pem_slice_iter(certificate_pem.as_bytes()).collect::<Result<Vec<_>, _>>()?;
    let first =
        chain.first().ok_or_else(|| anyhow::anyhow!("the TLS certificate file holds no certificate"))?;
    let fingerprint =
        sha2::Sha256::digest(first.as_ref()).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":");
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok((TlsAcceptor::from(Arc::new(config)), fingerprint))
}

async fn accept(listener: TcpListener, shared: Arc<Shared>, implicit_tls: bool) {
    loop {
        let (mut stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "fake SMTP server could not accept a connection");
                continue;
            }
        };
        let Ok(slot) = shared.slots.clone().try_acquire_owned() else {
            // Said at once, so that a client backs off instead of waiting for a greeting.
            tokio::spawn(async move {
                stream.write_all(b"421 4.3.2 Too many connections, try again later\r\n").await.ok();
            });
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            if let Err(error) = connection(stream, peer, &shared, implicit_tls).await {
                tracing::debug!(%error, %peer, "SMTP connection ended");
            }
            drop(slot);
        });
    }
}

/// One client, from greeting to close; STARTTLS continues the same session over TLS.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
    implicit_tls: bool,
) -> io::Result<()> {
    let mut builder = SessionBuilder::new(NAME);
    builder.enable_start_tls();
    let refused = Refusal::default();
    let collector = Collector {
        inbox: shared.inbox.clone(),
        faults: shared.faults.clone(),
        refused: refused.clone(),
        max: shared.config.max_message_bytes,
        ..Collector::default()
    };
    let mut session = builder.build(peer.ip(), collector);
    let mut state = Conversation { tls: implicit_tls, refused, ..Conversation::default() };
    let stream = QuickAck(stream);
    if implicit_tls {
        let tls = shared.tls.accept(stream).await?;
        session.tls_active();
        converse(tls, &mut session, &mut state, shared, true).await?;
        return Ok(());
    }
    if let Next::StartTls(stream) = converse(stream, &mut session, &mut state, shared, true).await? {
        let tls = shared.tls.accept(stream).await?;
        session.tls_active();
        state.tls = true;
        converse(tls, &mut session, &mut state, shared, false).await?;
    }
    Ok(())
}

/// A client's connection that acknowledges what it reads at once. Clients that leave Nagle's
/// algorithm on (lettre's SMTP transport does) write a message and the "." that ends it in two
/// writes, and hold the second until the first is acknowledged; Linux delays that
/// acknowledgement by up to 40 ms while the server has no answer to send, so each message would
/// wait that long.
struct QuickAck(TcpStream);

impl AsyncRead for QuickAck {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let read = Pin::new(&mut self.0).poll_read(cx, buf);
        // Linux leaves quick-acknowledgement mode on its own; it is asked for again after each read.
        #[cfg(target_os = "linux")]
        if read.is_ready() {
            self.0.set_quickack(true).ok();
        }
        read
    }
}

impl AsyncWrite for QuickAck {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// What the adapter around `mailin` keeps: the TLS state, an AUTH exchange under way, and
/// the refusal of the message just ended (see `Collector::data_end`).
#[derive(Default)]
struct Conversation {
    tls: bool,
    in_data: bool,
    auth: Option<AuthStep>,
    refused: Refusal,
}

/// A reply refusing a whole message, passed from the handler to the conversation.
type Refusal = Arc<std::sync::Mutex<Option<Vec<u8>>>>;

enum AuthStep {
    /// `AUTH PLAIN` without its credentials: they come on the next line.
    Plain,
    /// `AUTH LOGIN`: the user name, then the password.
    LoginUser,
    LoginPassword(String),
}

enum Next<S> {
    Closed,
    StartTls(S),
}

async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    session: &mut Session<Collector>,
    state: &mut Conversation,
    shared: &Shared,
    greet: bool,
) -> io::Result<Next<S>> {
    let mut reader = BufReader::new(stream);
    if greet {
        reader.get_mut().write_all(format!("220 {NAME} ESMTP\r\n").as_bytes()).await?;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        let mut limited = (&mut reader).take(MAX_LINE);
        let read = limited.read_until(b'\n', &mut line);
        let read = match tokio::time::timeout(shared.config.idle_timeout, read).await {
            Ok(read) => read?,
            Err(_) => {
                reader.get_mut().write_all(b"421 4.4.2 Idle too long, closing\r\n").await.ok();
                return Ok(Next::Closed);
            }
        };
        if read == 0 {
            return Ok(Next::Closed);
        }
        if !line.ends_with(b"\n") {
            reader.get_mut().write_all(b"500 5.5.2 Line too long\r\n").await?;
            return Ok(Next::Closed);
        }
        let (reply, action) = answer(&line, session, state, shared);
        let out = reader.get_mut();
        out.write_all(&reply).await?;
        out.flush().await?;
        match action {
            Action::Close => return Ok(Next::Closed),
            Action::UpgradeTls => return Ok(Next::StartTls(reader.into_inner())),
            Action::Reply | Action::NoReply => {}
        }
    }
}

/// The reply to one line: `mailin`'s, except for what it does not offer (optional AUTH, the
/// EHLO extensions it does not list, MAIL FROM parameters it does not parse).
fn answer(
    line: &[u8],
    session: &mut Session<Collector>,
    state: &mut Conversation,
    shared: &Shared,
) -> (Vec<u8>, Action) {
    let reply = |r: Response| (r.buffer().unwrap_or_default(), r.action.clone());
    if state.in_data {
        let response = session.process(line);
        if line == b".\r\n" || line == b".\n" {
            state.in_data = false;
            if let Some(refusal) = state.refused.lock().expect("refusal lock").take() {
                return (refusal, Action::Reply);
            }
        }
        return reply(response);
    }
    if let Some(step) = state.auth.take() {
        return (authenticate(step, line, state, shared).into_bytes(), Action::Reply);
    }
    let text = String::from_utf8_lossy(line);
    let upper = text.trim_end().to_ascii_uppercase();
    if upper.starts_with("EHLO ") || upper == "EHLO" {
        let response = session.process(line);
        if response.is_error {
            return reply(response);
        }
        let mut lines =
            vec![format!("{NAME} greets you"), "PIPELINING".into(), "8BITMIME".into(), "SMTPUTF8".into()];
        lines.push(format!("SIZE {}", shared.config.max_message_bytes));
        if !state.tls {
            lines.push("STARTTLS".into());
        }
        lines.push("AUTH PLAIN LOGIN".into());
        let last = lines.len() - 1;
        let text: String = lines
            .iter()
            .enumerate()
            .map(|(i, l)| format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }))
            .collect();
        return (text.into_bytes(), Action::Reply);
    }
    if let Some(rest) = upper.strip_prefix("AUTH ") {
        let argument = text.trim_end()[5..].split_whitespace().nth(1).map(str::to_owned);
        return match (rest.split_whitespace().next(), argument) {
            (Some("PLAIN"), Some(initial)) => {
                (authenticate(AuthStep::Plain, initial.as_bytes(), state, shared).into_bytes(), Action::Reply)
            }
            (Some("PLAIN"), None) => {
                state.auth = Some(AuthStep::Plain);
                (b"334 \r\n".to_vec(), Action::Reply)
            }
            (Some("LOGIN"), None) => {
                state.auth = Some(AuthStep::LoginUser);
                (b"334 VXNlcm5hbWU6\r\n".to_vec(), Action::Reply)
            }
            (Some("LOGIN"), Some(user)) => {
                let user = decode(user.as_bytes());
                state.auth = Some(AuthStep::LoginPassword(user));
                (b"334 UGFzc3dvcmQ6\r\n".to_vec(), Action::Reply)
            }
            _ => (b"504 5.5.4 Unrecognized authentication type\r\n".to_vec(), Action::Reply),
        };
    }
    if upper.starts_with("MAIL FROM:") {
        // Parameters `mailin` does not parse: SIZE is checked here, SMTPUTF8 accepted.
        let Some(close) = text.find('>') else { return reply(session.process(line)) };
        let (path, params) = text.trim_end().split_at(close + 1);
        let mut kept = String::new();
        for param in params.split_whitespace() {
            let upper = param.to_ascii_uppercase();
            if let Some(size) = upper.strip_prefix("SIZE=") {
                if size.parse::<usize>().is_ok_and(|n| n > shared.config.max_message_bytes) {
                    return (b"552 5.3.4 Message size exceeds fixed limit\r\n".to_vec(), Action::Reply);
                }
            } else if upper.starts_with("BODY=") {
                kept = format!(" {param}");
            }
        }
        return reply(session.process(format!("{path}{kept}\r\n").as_bytes()));
    }
    let response = session.process(line);
    if response.code == 354 {
        state.in_data = true;
    }
    reply(response)
}

/// One line of an AUTH exchange: the next prompt, or the verdict.
fn authenticate(step: AuthStep, line: &[u8], state: &mut Conversation, shared: &Shared) -> String {
    let line = String::from_utf8_lossy(line).trim().to_owned();
    if line == "*" {
        return "501 5.0.0 Authentication cancelled\r\n".into();
    }
    let (user, password) = match step {
        AuthStep::Plain => {
            let decoded = decode(line.as_bytes());
            let mut parts = decoded.split('\0').skip(1);
            (parts.next().unwrap_or_default().to_owned(), parts.next().unwrap_or_default().to_owned())
        }
        AuthStep::LoginUser => {
            state.auth = Some(AuthStep::LoginPassword(decode(line.as_bytes())));
            return "334 UGFzc3dvcmQ6\r\n".into();
        }
        AuthStep::LoginPassword(user) => (user, decode(line.as_bytes())),
    };
    match &shared.config.credentials {
        Some((u, p)) if *u != user || *p != password => {
            "535 5.7.8 Authentication credentials invalid\r\n".into()
        }
        _ => "235 2.7.0 Authentication successful\r\n".into(),
    }
}

fn decode(base64: &[u8]) -> String {
    let bytes = base64::engine::general_purpose::STANDARD.decode(base64).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// What `mailin` hands over: one message at a time, stored once it is complete.
#[derive(Default)]
struct Collector {
    inbox: Arc<Inbox<Mail>>,
    faults: Arc<Faults>,
    refused: Refusal,
    max: usize,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
    too_large: bool,
}

/// The answer a switched-on fault gives instead of the usual one.
fn failed(code: u16) -> Response {
    let text = if code < 500 {
        "4.3.0 Temporary failure (fault injected)"
    } else {
        "5.3.0 Failure (fault injected)"
    };
    Response::custom(code, text.into())
}

impl Handler for Collector {
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, _from: &str) -> Response {
        match self.faults.mail_at(SmtpStage::Mail) {
            Some(MailFault::Fail(code)) => failed(code),
            _ => mailin::response::OK,
        }
    }

    fn rcpt(&mut self, _to: &str) -> Response {
        match self.faults.mail_at(SmtpStage::Rcpt) {
            Some(MailFault::Fail(code)) => failed(code),
            _ => mailin::response::OK,
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.from = from.to_owned();
        self.to = to.to_vec();
        self.data.clear();
        self.too_large = false;
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        if self.data.len() + buf.len() > self.max {
            self.too_large = true;
        } else {
            self.data.extend_from_slice(buf);
        }
        Ok(())
    }

    /// `mailin` stays in its DATA state after an error here, so the next command would be
    /// taken as message text: an error is handed to the conversation to send instead, and
    /// `mailin` is told the message was taken.
    fn data_end(&mut self) -> Response {
        let verdict = self.verdict();
        if verdict.is_error {
            *self.refused.lock().expect("refusal lock") = Some(verdict.buffer().unwrap_or_default());
        }
        mailin::response::OK
    }
}

impl Collector {
    fn verdict(&mut self) -> Response {
        if self.too_large {
            return Response::custom(552, "5.3.4 Message size exceeds fixed limit".into());
        }
        match self.faults.mail_at(SmtpStage::Data) {
            Some(MailFault::Fail(code)) => return failed(code),
            Some(MailFault::Drop) => return mailin::response::OK,
            None => {}
        }
        match parse(&self.data) {
            Ok(parsed) => {
                let (from, to) = (std::mem::take(&mut self.from), std::mem::take(&mut self.to));
                keep(&self.inbox, from, to, parsed);
                mailin::response::OK
            }
            Err(error) => {
                tracing::warn!(%error, "fake SMTP server refused an unparseable message");
                mailin::response::TRANSACTION_FAILED
            }
        }
    }
}

/// Puts a message into the inbox, with the links it contains.
fn keep(inbox: &Inbox<Mail>, from: String, to: Vec<String>, parsed: Parsed) -> Mail {
    inbox.push(|id| Mail {
        id,
        from,
        to,
        subject: parsed.subject,
        links: links_in(&parsed.text, parsed.html.as_deref()),
        text: parsed.text,
        html: parsed.html,
        received_at: OffsetDateTime::now_utc(),
    })
}

/// A message handed over whole.
pub enum Content {
    Raw(Vec<u8>),
    Simple { subject: String, text: String, html: Option<String> },
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
