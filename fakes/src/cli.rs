//! The fakes' command-line options, shared by the `fakes` binary and `conformance fakes`.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::{FakesConfig, MailConfig, SmsCredentials};

#[derive(clap::Args, Clone, Debug)]
pub struct Listen {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// SMTP port (0: any free port).
    #[arg(long, default_value_t = 2525)]
    pub smtp_port: u16,
    /// SMTP port with TLS from the first byte, 465-style (absent: none).
    #[arg(long)]
    pub smtps_port: Option<u16>,
    /// SMTP connections served at once; one more is told 421 at once.
    #[arg(long, default_value_t = 256)]
    pub smtp_max_connections: usize,
    /// Seconds an SMTP connection may stay silent before it is closed.
    #[arg(long, default_value_t = 30)]
    pub smtp_idle_timeout_secs: u64,
    /// The only SMTP user AUTH accepts (with --smtp-password; default: any credentials).
    #[arg(long, requires = "smtp_password")]
    pub smtp_user: Option<String>,
    #[arg(long, requires = "smtp_user")]
    pub smtp_password: Option<String>,
    /// PEM certificate chain for STARTTLS and the TLS port (default: a self-signed one made
    /// at start; its SHA-256 fingerprint is printed).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// SMS/voice provider port (0: any free port).
    #[arg(long, default_value_t = 8025)]
    pub sms_port: u16,
    /// Inbox API and page port (0: any free port).
    #[arg(long, default_value_t = 8026)]
    pub api_port: u16,
    /// Account SID the SMS provider accepts (default: the fake's own).
    #[arg(long)]
    pub account_sid: Option<String>,
    /// Auth token the SMS provider accepts and signs webhooks with (default: the fake's own).
    #[arg(long)]
    pub auth_token: Option<String>,
    /// API key sid (`SK…`) the SMS provider also accepts, with --api-key-secret.
    #[arg(long, requires = "api_key_secret")]
    pub api_key_sid: Option<String>,
    #[arg(long, requires = "api_key_sid")]
    pub api_key_secret: Option<String>,
}

impl Listen {
    pub fn config(&self) -> FakesConfig {
        let defaults = SmsCredentials::default();
        FakesConfig {
            mail: MailConfig {
                addr: SocketAddr::new(self.host, self.smtp_port),
                tls_addr: self.smtps_port.map(|port| SocketAddr::new(self.host, port)),
                max_connections: self.smtp_max_connections,
                idle_timeout: Duration::from_secs(self.smtp_idle_timeout_secs),
                credentials: self.smtp_user.clone().zip(self.smtp_password.clone()),
                tls_files: self.tls_cert.clone().zip(self.tls_key.clone()),
                ..MailConfig::on(SocketAddr::new(self.host, self.smtp_port))
            },
            sms: SocketAddr::new(self.host, self.sms_port),
            api: SocketAddr::new(self.host, self.api_port),
            credentials: SmsCredentials {
                account_sid: self.account_sid.clone().unwrap_or(defaults.account_sid),
                auth_token: self.auth_token.clone().unwrap_or(defaults.auth_token),
                api_key_sid: self.api_key_sid.clone().unwrap_or(defaults.api_key_sid),
                api_key_secret: self.api_key_secret.clone().unwrap_or(defaults.api_key_secret),
            },
        }
    }
}
