//! Starts the fake mail server, the fake SMS/voice provider and their inbox API.

use clap::Parser;
use fakes::Fakes;

#[derive(Parser)]
#[command(about = "Fake SMTP server and Twilio-shaped SMS/voice provider with an inbox API")]
struct Args {
    #[command(flatten)]
    listen: fakes::cli::Listen,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    let fakes = Fakes::start(Args::parse().listen.config()).await?;
    let s = fakes.settings();
    println!("fake mail (SMTP)    {}:{}  (STARTTLS offered; AUTH optional)", s.smtp_host, s.smtp_port);
    if let Some(port) = s.smtps_port {
        println!("fake mail (SMTPS)   {}:{port}", s.smtp_host);
    }
    println!("TLS certificate     SHA-256 {}", s.smtp_tls_fingerprint);
    println!(
        "fake SMS/voice      {}  (account SID {}, auth token {})",
        s.sms_base_url, s.sms_account_sid, s.sms_auth_token
    );
    println!("inbox page and API  {}", s.inbox_url);
    println!("settings as JSON    {}/api/settings", s.inbox_url);
    tokio::signal::ctrl_c().await?;
    Ok(())
}
