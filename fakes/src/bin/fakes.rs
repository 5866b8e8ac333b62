//! Starts the fake mail server, the fake SMS/voice provider and their inbox API.

use std::net::{IpAddr, SocketAddr};

use clap::Parser;
use fakes::{Fakes, FakesConfig, SmsCredentials};

#[derive(Parser)]
#[command(about = "Fake SMTP server and Twilio-shaped SMS/voice provider with an inbox API")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// SMTP port (0: any free port).
    #[arg(long, default_value_t = 2525)]
    smtp_port: u16,
    /// SMS/voice provider port (0: any free port).
    #[arg(long, default_value_t = 8025)]
    sms_port: u16,
    /// Inbox API and page port (0: any free port).
    #[arg(long, default_value_t = 8026)]
    api_port: u16,
    /// Account SID the SMS provider accepts.
    #[arg(long)]
    account_sid: Option<String>,
    /// Auth token the SMS provider accepts.
    #[arg(long)]
    auth_token: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    let args = Args::parse();
    let mut credentials = SmsCredentials::default();
    credentials.account_sid = args.account_sid.unwrap_or(credentials.account_sid);
    credentials.auth_token = args.auth_token.unwrap_or(credentials.auth_token);
    let fakes = Fakes::start(FakesConfig {
        smtp: SocketAddr::new(args.host, args.smtp_port),
        sms: SocketAddr::new(args.host, args.sms_port),
        api: SocketAddr::new(args.host, args.api_port),
        credentials,
    })
    .await?;
    let s = fakes.settings();
    println!("fake mail (SMTP)    {}:{}", s.smtp_host, s.smtp_port);
    println!(
        "fake SMS/voice      {}  (account SID {}, auth token {})",
        s.sms_base_url, s.sms_account_sid, s.sms_auth_token
    );
    println!("inbox page and API  {}", s.inbox_url);
    println!("settings as JSON    {}/api/settings", s.inbox_url);
    tokio::signal::ctrl_c().await?;
    Ok(())
}
