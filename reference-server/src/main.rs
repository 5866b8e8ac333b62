use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use reference_server::Config;

#[derive(Parser)]
#[command(version, about = "Reference sign-in service: web pages and JSON API for every documented flow")]
struct Args {
    /// TOML configuration file (environment variables REFERENCE_SERVER__* override it).
    #[arg(long, env = "REFERENCE_SERVER_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on (overrides the configuration).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Directory for the database (overrides the configuration).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Use a manual clock and mount /__conformance hooks to move it. Never in production.
    #[arg(long)]
    conformance_hooks: bool,
    /// The bearer token the hooks require (needed when listening beyond loopback).
    #[arg(long, env = "REFERENCE_SERVER_HOOK_TOKEN", hide_env_values = true)]
    conformance_hook_token: Option<String>,
    /// Start with the fake mail and SMS providers in-process and a fresh database, and print
    /// where to sign up and where to read the mail.
    #[arg(long)]
    demo: bool,
    /// Make a new ID-token signing key in the data directory and exit. The current key stays
    /// published (as the previous one) so tokens it signed still verify; restart to use it.
    #[arg(long)]
    rotate_signing_key: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()),
        )
        .init();
    let args = Args::parse();
    let mut config = Config::load(args.config.as_deref())?;
    config.listen = args.listen.unwrap_or(config.listen);
    config.conformance_hooks |= args.conformance_hooks;
    if let Some(token) = args.conformance_hook_token {
        config.conformance_hook_token = Some(token.into());
    }
    let mut fakes = None;
    if args.demo {
        let started = fakes::Fakes::start(fakes::FakesConfig::ephemeral()).await?;
        config.use_fakes(&started.settings());
        if args.data_dir.is_none() {
            let dir = tempfile::Builder::new().prefix("reference-server-demo-").tempdir()?;
            config.data_dir = dir.path().to_owned();
            config.temp_dir = Some(std::sync::Arc::new(dir));
        }
        fakes = Some(started);
    }
    if let Some(dir) = args.data_dir {
        config.data_dir = dir;
    }
    if args.rotate_signing_key {
        reference_server::service::signing::SigningKeys::rotate(&config.data_dir)?;
        println!("new signing key made in {}; restart the server to use it", config.data_dir.display());
        return Ok(());
    }
    let server = reference_server::start(config).await?;
    println!("sign-in service   {}/", server.base_url);
    println!("create an account {}/sign-up", server.base_url);
    println!("JSON API          {}/api/v1/", server.base_url);
    if let Some(fakes) = &fakes {
        println!("inbox (mail, texts and calls) {}/", fakes.api_url());
    }
    if server.clock.is_manual() {
        println!("conformance hooks {}/__conformance/clock (manual clock)", server.base_url);
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}
