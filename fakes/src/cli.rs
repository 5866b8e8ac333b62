//! The fakes' command-line options, shared by the `fakes` binary and `conformance fakes`.

use std::net::{IpAddr, SocketAddr};

use crate::{FakesConfig, SmsCredentials};

#[derive(clap::Args, Clone, Debug)]
pub struct Listen {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// SMTP port (0: any free port).
    #[arg(long, default_value_t = 2525)]
    pub smtp_port: u16,
    /// SMS/voice provider port (0: any free port).
    #[arg(long, default_value_t = 8025)]
    pub sms_port: u16,
    /// Inbox API and page port (0: any free port).
    #[arg(long, default_value_t = 8026)]
    pub api_port: u16,
    /// Account SID the SMS provider accepts (default: the fake's own).
    #[arg(long)]
    pub account_sid: Option<String>,
    /// Auth token the SMS provider accepts (default: the fake's own).
    #[arg(long)]
    pub auth_token: Option<String>,
}

impl Listen {
    pub fn config(&self) -> FakesConfig {
        let defaults = SmsCredentials::default();
        FakesConfig {
            smtp: SocketAddr::new(self.host, self.smtp_port),
            sms: SocketAddr::new(self.host, self.sms_port),
            api: SocketAddr::new(self.host, self.api_port),
            credentials: SmsCredentials {
                account_sid: self.account_sid.clone().unwrap_or(defaults.account_sid),
                auth_token: self.auth_token.clone().unwrap_or(defaults.auth_token),
            },
        }
    }
}
