//! The reference implementation of the sign-in service: every documented flow as web pages
//! and as a JSON API over the same services, on an embedded SQLite store.
//!
//! Layers: [`http`] (pages, API, hooks) → [`service`] (use cases) → [`rules`] (pure, `now`
//! passed in), with [`store`] for persistence and [`delivery`] for email and SMS.

pub mod clock;
pub mod config;
pub mod delivery;
pub mod domain;
#[cfg(feature = "fixtures")]
pub mod fixture;
pub mod http;
mod keyfile;
pub mod policy;
pub mod proofing;
pub mod rules;
pub mod sealing;
pub mod service;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;

pub use clock::Clock;
pub use config::Config;
pub use policy::Policy;
use service::{Passwords, Services};

/// A server listening and serving in the background.
pub struct RunningServer {
    pub addr: SocketAddr,
    /// The URL the server is reached at (no trailing slash).
    pub base_url: String,
    pub clock: Clock,
    pub services: Arc<Services>,
    task: tokio::task::JoinHandle<()>,
    mail_worker: tokio::task::JoinHandle<()>,
    housekeeping: tokio::task::JoinHandle<()>,
    in_person_results: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    pub fn stop(self) {
        self.task.abort();
        self.mail_worker.abort();
        self.housekeeping.abort();
        self.in_person_results.abort();
    }
}

/// Starts the server: the manual clock when conformance hooks are on, the system clock
/// otherwise.
pub async fn start(#[allow(unused_mut)] mut config: Config) -> anyhow::Result<RunningServer> {
    #[cfg(feature = "fixtures")]
    if let Some(fixture) = config.fixture {
        config.policy = fixture.policy(config.policy);
    }
    let clock = if config.conformance_hooks { Clock::manual() } else { Clock::system() };
    start_with_clock(config, clock).await
}

pub async fn start_with_clock(config: Config, clock: Clock) -> anyhow::Result<RunningServer> {
    config.validate()?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let public_url = public_url.trim_end_matches('/').to_owned();
    let server_key = server_key(&config.data_dir)?;
    let [code_key, seal_key, subject_key, lookup_key] = KEY_PURPOSES.map(|p| derive_key(&server_key, p));
    let code_key = code_key.to_vec();
    let contacts = store::Contacts::new(seal_key, lookup_key);
    let store = match &config.database_url {
        Some(url) => store::Store::connect(secrecy::ExposeSecret::expose_secret(url), contacts)
            .await
            .context("cannot open the PostgreSQL database of database_url")?,
        None => store::Store::open(&config.database_path(), contacts)
            .await
            .with_context(|| format!("cannot open the database {}", config.database_path().display()))?,
    };
    if clock.is_manual() {
        // One manual time for every instance on this store, carried across restarts: meet it
        // (the later of the stored time and this clock's) and show it.
        clock.catch_up(store.move_manual_clock(clock.now(), time::Duration::ZERO).await?);
    }
    let passwords = Passwords::new(&config.argon2)?;
    let dummy_password_hash = {
        let passwords = passwords.clone();
        service::later::Later::spawn(async move { passwords.hash("a password nobody has").await })
    };

    let agencies = service::agency::Agencies::new(&config.agencies)?;
    let signing_keys = service::signing::SigningKeys::load_or_create(&config.data_dir)?;
    let services = Arc::new(Services {
        policy: config.policy.clone(),
        clock: clock.clone(),
        store,
        mailer: delivery::Mailer::new(&config.smtp).context("smtp.from is not an email address")?,
        sms: delivery::SmsClient::new(&config.sms),
        proofing: proofing::Proofing::new(&config.proofing),
        passwords,
        code_key,
        seal_key,
        agencies,
        signing_keys,
        subject_key,
        lookup_key,
        outbox: tokio::sync::Notify::new(),
        dummy_password_hash,
        common_passwords: rules::password::CommonPasswords::shipped(),
        public_url: public_url.clone(),
        config: Arc::new(config),
        #[cfg(feature = "fixtures")]
        instance_memory: Default::default(),
    });
    let app = http::router(http::AppState { services: services.clone() });
    let task = tokio::spawn(http::serve::serve(listener, app, services.config.limits.clone()));
    // Mail queued before a restart goes out now.
    let mail_worker = service::outbox::spawn_worker(services.clone());
    services.outbox.notify_one();
    let housekeeping = service::housekeeping::spawn(services.clone());
    let in_person_results = service::in_person::spawn_result_job(services.clone());
    Ok(RunningServer {
        addr,
        base_url: public_url,
        clock,
        services,
        task,
        mail_worker,
        housekeeping,
        in_person_results,
    })
}

/// Every key derived from the server key, by purpose: security codes, sealed secrets,
/// pairwise subjects, contact lookups.
const KEY_PURPOSES: [&str; 4] = ["security codes", "sealed secrets", "pairwise subjects", "contact lookup"];

/// Everything an operator holding `server.key` can compute: the key itself and every key
/// derived from it. Tests show the verified identity opens with none of them (PV-2).
pub fn operator_keys(data_dir: &std::path::Path) -> anyhow::Result<Vec<[u8; 32]>> {
    let server_key = server_key(data_dir)?;
    let mut keys: Vec<[u8; 32]> = KEY_PURPOSES.iter().map(|p| derive_key(&server_key, p)).collect();
    keys.extend(<[u8; 32]>::try_from(server_key.as_slice()).ok());
    Ok(keys)
}

/// A key for one purpose, derived from the server key (HMAC-SHA256 with the purpose's name).
fn derive_key(server_key: &[u8], purpose: &str) -> [u8; 32] {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(server_key).expect("any key length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The server's secret key: made on first start and kept in the data directory, apart from
/// the database, readable by the owner only. Codes and sealed secrets use keys derived from it.
fn server_key(data_dir: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join("server.key");
    let read = || -> anyhow::Result<Vec<u8>> {
        let hex_key =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        hex::decode(hex_key.trim()).with_context(|| format!("{} is corrupt", path.display()))
    };
    if path.exists() {
        return read();
    }
    let key: [u8; 32] = rand::random();
    // Another instance starting on this data directory at the same moment may win: use its key.
    if keyfile::create_once(&path, hex::encode(key).as_bytes())
        .with_context(|| format!("cannot create {}", path.display()))?
    {
        Ok(key.to_vec())
    } else {
        read()
    }
}
