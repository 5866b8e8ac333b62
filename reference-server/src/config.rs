//! Server configuration: defaults, then a TOML file, then environment variables.
//!
//! Environment variables named `REFERENCE_SERVER__<SECTION>__<KEY>` override the file, e.g.
//! `REFERENCE_SERVER__SMTP__PORT=2525` or `REFERENCE_SERVER__POLICY__CODE_LIFETIME_SECS=90`.
//! Values are read as TOML (`90`, `true`, `"text"`), or as a plain string when they are not.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use secrecy::SecretString;
use serde::Deserialize;

use crate::policy::Policy;

pub const ENV_PREFIX: &str = "REFERENCE_SERVER__";

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// The URL people reach the server at, used in emailed links. Default: `http://{listen}`.
    pub public_url: Option<String>,
    /// Where the server key and signing keys live, and the SQLite database file unless
    /// `database_url` names another store; created on first start.
    pub data_dir: PathBuf,
    /// `postgres://user:password@host:port/database`: keep the data in PostgreSQL instead of
    /// the SQLite file (for several instances on one store; each needs the same `data_dir`
    /// keys). The database is created if the server has none of that name.
    pub database_url: Option<SecretString>,
    /// Mount the `/__conformance/*` hooks and use a manual clock. Never in production.
    pub conformance_hooks: bool,
    /// The bearer token the hooks require (`Authorization: Bearer <token>`). Without one the
    /// hooks are served only on a loopback address: anyone who reaches them can move the clock.
    pub conformance_hook_token: Option<SecretString>,
    pub smtp: SmtpConfig,
    pub sms: SmsConfig,
    pub proofing: ProofingConfig,
    pub argon2: Argon2Config,
    pub limits: Limits,
    pub policy: Policy,
    /// A TOML file of `[[agency]]` tables: the agencies (OpenID Connect clients) allowed to
    /// send people here to sign in.
    pub agencies_file: Option<PathBuf>,
    /// The registered agencies: read from `agencies_file`, or set directly by tests.
    #[serde(skip)]
    pub agencies: Vec<AgencyConfig>,
    /// A test-only variant of the server (other pages, or deliberately broken).
    #[cfg(feature = "fixtures")]
    #[serde(skip)]
    pub fixture: Option<crate::fixture::Fixture>,
    /// Keeps a temporary data directory alive as long as the configuration.
    #[serde(skip)]
    pub temp_dir: Option<Arc<tempfile::TempDir>>,
}

/// What one client may take of the server (see `http/serve.rs`).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Request headers must arrive within this; also the longest a kept-alive connection may
    /// wait for its next request.
    pub header_read_timeout_secs: u64,
    /// A request must be read and answered within this (else 408).
    pub request_timeout_secs: u64,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// Proxies (addresses or CIDR blocks) whose `X-Forwarded-For` is believed when a
    /// per-client limit asks who the client is. Empty: the connection's peer is the client.
    #[serde(deserialize_with = "networks")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Wrong passwords one client address may send in `per_client_window_secs`, whatever
    /// addresses they are for (password spraying). 0: no such limit.
    pub per_client_wrong_passwords: u32,
    /// Emails (sign-up confirmations, resends, reset links) one client address may ask for
    /// in `per_client_window_secs`, whatever addresses they go to. 0: no such limit.
    pub per_client_emails: u32,
    pub per_client_window_secs: u64,
}

/// Networks written as `10.0.0.0/8` or as one address, `10.0.0.2`.
fn networks<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<ipnet::IpNet>, D::Error> {
    let written = Vec::<String>::deserialize(deserializer)?;
    written
        .iter()
        .map(|n| {
            n.parse::<ipnet::IpNet>()
                .or_else(|_| n.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!("{n:?} is neither an address nor a CIDR block"))
                })
        })
        .collect()
}

impl Default for Limits {
    // Per-client limits are off by default: every local test comes from one address, and
    // behind a proxy they need `trusted_proxies` to see clients at all.
    fn default() -> Self {
        Self {
            header_read_timeout_secs: 10,
            request_timeout_secs: 30,
            max_connections: 1024,
            trusted_proxies: Vec::new(),
            per_client_wrong_passwords: 0,
            per_client_emails: 0,
            per_client_window_secs: 900,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// The sender of every email.
    pub from: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    /// Base URL of a provider speaking the Twilio REST shape.
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: SecretString,
    /// The number texts and calls come from.
    pub from: String,
}

/// The identity-proofing vendors (document verification, identity resolution).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProofingConfig {
    /// Base URL of both vendors' APIs (the TrueID and Instant Verify shapes).
    pub url: String,
    pub username: String,
    pub password: SecretString,
    /// The vendor account and workflows named in the request paths.
    pub account: String,
    pub document_workflow: String,
    pub resolution_workflow: String,
    /// Accept test documents (JSON describing what the vendor should report) where images are
    /// expected. For test deployments: a production service turns this off.
    pub accept_test_documents: bool,
    /// The largest image accepted, in bytes.
    pub max_image_bytes: usize,
}

impl Default for ProofingConfig {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8026".into(),
            username: fakes::proofing::USERNAME.into(),
            password: SecretString::from(fakes::proofing::PASSWORD),
            account: "sign-in-service".into(),
            document_workflow: "sign-in.trueid.workflow".into(),
            resolution_workflow: "sign-in.instant.verify.workflow".into(),
            accept_test_documents: true,
            max_image_bytes: 10 * 1024 * 1024,
        }
    }
}

/// One agency (an OpenID Connect client), as registered.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyConfig {
    pub client_id: String,
    /// Shown to people on the consent page and the account page.
    pub name: String,
    /// Where people may be sent back, compared exactly.
    pub redirect_uris: Vec<String>,
    /// Where people may be sent after signing out from the agency, compared exactly.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// PEM public key (`PUBLIC KEY` or `RSA PUBLIC KEY`) for `private_key_jwt`. Without one the
    /// agency is a public client and must use PKCE.
    #[serde(default)]
    pub public_key: Option<String>,
    /// The attributes it may ask for (scopes besides `openid`): `email`, `phone`, and with
    /// `verified`, `profile:name`, `profile:birthdate`, `address`, `social_security_number`.
    #[serde(default)]
    pub attributes: Vec<crate::rules::oidc::Attribute>,
    /// May ask for verified identity (`urn:acr.login.gov:verified`, IV-1).
    #[serde(default)]
    pub verified: bool,
}

impl AgencyConfig {
    /// The key its client assertions are checked with; `None` for a public client.
    pub fn decoding_key(&self) -> anyhow::Result<Option<jsonwebtoken::DecodingKey>> {
        self.public_key
            .as_deref()
            .map(|pem| jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes()))
            .transpose()
            .with_context(|| format!("agency {}: public_key is not an RSA public key in PEM", self.client_id))
    }

    /// Refuses a registration the server could not honour, saying what is wrong.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(!self.client_id.is_empty(), "an agency has an empty client_id");
        anyhow::ensure!(!self.redirect_uris.is_empty(), "agency {}: no redirect_uris", self.client_id);
        for uri in self.redirect_uris.iter().chain(&self.post_logout_redirect_uris) {
            let url = url::Url::parse(uri)
                .with_context(|| format!("agency {}: {uri:?} is not a URL", self.client_id))?;
            anyhow::ensure!(url.fragment().is_none(), "agency {}: {uri:?} has a fragment", self.client_id);
        }
        if let Some(a) = self.attributes.iter().find(|a| a.verified() && !self.verified) {
            anyhow::bail!("agency {}: {} needs verified = true", self.client_id, a.scope());
        }
        self.decoding_key().map(|_| ())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgenciesFile {
    #[serde(default)]
    agency: Vec<AgencyConfig>,
}

/// Reads the `[[agency]]` tables of an agencies file.
pub fn read_agencies(path: &Path) -> anyhow::Result<Vec<AgencyConfig>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the agencies file {}", path.display()))?;
    let file: AgenciesFile = toml::from_str(&text)
        .with_context(|| format!("the agencies file {} does not fit", path.display()))?;
    Ok(file.agency)
}

/// Argon2id cost. The defaults are OWASP's recommendation (19 MiB, 2 passes, 1 lane).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Argon2Config {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            data_dir: PathBuf::from("data"),
            database_url: None,
            conformance_hooks: false,
            conformance_hook_token: None,
            smtp: SmtpConfig::default(),
            limits: Limits::default(),
            sms: SmsConfig::default(),
            proofing: ProofingConfig::default(),
            argon2: Argon2Config::default(),
            policy: Policy::default(),
            agencies_file: None,
            agencies: Vec::new(),
            #[cfg(feature = "fixtures")]
            fixture: None,
            temp_dir: None,
        }
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 2525,
            from: "Sign-in service <no-reply@sign-in.localhost>".into(),
        }
    }
}

impl Default for SmsConfig {
    fn default() -> Self {
        let fake = fakes::SmsCredentials::default();
        Self {
            base_url: "http://127.0.0.1:8025".into(),
            account_sid: fake.account_sid,
            auth_token: SecretString::from(fake.auth_token),
            from: "+15550000000".into(),
        }
    }
}

impl Argon2Config {
    /// argon2id at this cost.
    pub fn argon2(&self) -> anyhow::Result<argon2::Argon2<'static>> {
        let params = argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        Ok(argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params))
    }
}

impl Default for Argon2Config {
    fn default() -> Self {
        Self { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 }
    }
}

impl Config {
    /// Defaults, overlaid with `file` (when given) and then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
                toml::from_str::<toml::Table>(&text)
                    .with_context(|| format!("{} is not valid TOML", path.display()))?
            }
            None => toml::Table::new(),
        };
        overlay_env(&mut table, std::env::vars())?;
        let mut config: Config = toml::Value::Table(table)
            .try_into()
            .context("the configuration does not fit (check names and types against the README)")?;
        if let Some(path) = &config.agencies_file {
            config.agencies = read_agencies(path)?;
        }
        config.validate()?;
        Ok(config)
    }

    /// For tests: any free port, a temporary database, the manual clock and hooks, and cheap
    /// argon2 parameters (hashing cost is not what tests are about).
    pub fn for_tests() -> Self {
        let dir =
            tempfile::Builder::new().prefix("reference-server-").tempdir().expect("temporary directory");
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: dir.path().to_owned(),
            conformance_hooks: true,
            conformance_hook_token: Some(SecretString::from(crate::rules::tokens::new_token())),
            argon2: Argon2Config { memory_kib: 256, iterations: 1, parallelism: 1 },
            temp_dir: Some(Arc::new(dir)),
            database_url: test_database_url(),
            ..Self::default()
        }
    }

    /// Delivers mail and texts to the fakes that `settings` describe (tests and demo mode).
    pub fn use_fakes(&mut self, settings: &fakes::api::Settings) {
        self.smtp.host = settings.smtp_host.clone();
        self.smtp.port = settings.smtp_port;
        self.sms.base_url = settings.sms_base_url.clone();
        self.sms.account_sid = settings.sms_account_sid.clone();
        self.sms.auth_token = settings.sms_auth_token.clone().into();
        self.proofing.url = settings.proofing_url.clone();
        self.proofing.username = settings.proofing_username.clone();
        self.proofing.password = settings.proofing_password.clone().into();
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(url) = &self.database_url {
            use secrecy::ExposeSecret as _;
            let url = url.expose_secret();
            anyhow::ensure!(
                url.starts_with("postgres://") || url.starts_with("postgresql://"),
                "database_url must be a PostgreSQL URL (postgres://…); leave it out for the SQLite file in data_dir"
            );
        }
        anyhow::ensure!(
            !self.conformance_hooks
                || self.conformance_hook_token.is_some()
                || self.listen.ip().is_loopback(),
            "the conformance hooks on {} need conformance_hook_token: without one, anyone who reaches the \
             server could move its clock (only a loopback address may go without)",
            self.listen
        );
        let l = &self.limits;
        anyhow::ensure!(
            l.per_client_window_secs > 0 || (l.per_client_wrong_passwords == 0 && l.per_client_emails == 0),
            "limits.per_client_window_secs must be at least 1 when a per-client limit is on"
        );
        let problems = self.policy.problems();
        anyhow::ensure!(problems.is_empty(), "the policy is not usable: {}", problems.join("; "));
        if let Some(url) = &self.public_url {
            url::Url::parse(url).with_context(|| format!("public_url {url:?} is not a URL"))?;
        }
        url::Url::parse(&self.sms.base_url)
            .with_context(|| format!("sms.base_url {:?} is not a URL", self.sms.base_url))?;
        url::Url::parse(&self.proofing.url)
            .with_context(|| format!("proofing.url {:?} is not a URL", self.proofing.url))?;
        let mut client_ids = std::collections::HashSet::new();
        for agency in &self.agencies {
            agency.validate()?;
            anyhow::ensure!(
                client_ids.insert(&agency.client_id),
                "agency {} is registered twice",
                agency.client_id
            );
        }
        Ok(())
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("reference-server.db")
    }
}

/// Applies `REFERENCE_SERVER__A__B=value` variables to `table` as `[a] b = value`.
/// With `TEST_POSTGRES_URL` (a PostgreSQL server, `postgres://user@host:port`), each test
/// configuration gets a database of its own there, so every server test runs on PostgreSQL.
fn test_database_url() -> Option<SecretString> {
    let server = std::env::var("TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())?;
    let suffix: String = crate::rules::tokens::new_token()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(24)
        .collect();
    Some(SecretString::from(format!("{}/test_{suffix}", server.trim_end_matches('/'))))
}

fn overlay_env(table: &mut toml::Table, vars: impl Iterator<Item = (String, String)>) -> anyhow::Result<()> {
    for (name, raw) in vars {
        let Some(path) = name.strip_prefix(ENV_PREFIX) else { continue };
        let keys: Vec<String> = path.split("__").map(str::to_lowercase).collect();
        anyhow::ensure!(keys.iter().all(|k| !k.is_empty()), "{name}: empty key in the variable name");
        let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(raw));
        let (last, parents) = keys.split_last().expect("at least one key");
        let mut current = &mut *table;
        for key in parents {
            current = current
                .entry(key.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .with_context(|| format!("{name}: `{key}` is not a section"))?;
        }
        current.insert(last.clone(), value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file_values_with_typed_values() {
        let mut table: toml::Table =
            toml::from_str("[smtp]\nport = 25\n[policy]\ncode_lifetime_secs = 60").unwrap();
        let vars = [
            ("REFERENCE_SERVER__SMTP__PORT".to_owned(), "2526".to_owned()),
            ("REFERENCE_SERVER__SMTP__HOST".to_owned(), "mail.internal".to_owned()),
            ("REFERENCE_SERVER__CONFORMANCE_HOOKS".to_owned(), "true".to_owned()),
            ("UNRELATED".to_owned(), "x".to_owned()),
        ];
        overlay_env(&mut table, vars.into_iter()).unwrap();
        let config: Config = toml::Value::Table(table).try_into().unwrap();
        assert_eq!(config.smtp.port, 2526);
        assert_eq!(config.smtp.host, "mail.internal");
        assert!(config.conformance_hooks);
        assert_eq!(config.policy.code_lifetime_secs, 60);
        assert_eq!(config.policy.code_request_limit, 3, "unset values keep their defaults");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let table: toml::Table = toml::from_str("[smtp]\nprot = 25").unwrap();
        let error = toml::Value::Table(table).try_into::<Config>().unwrap_err();
        assert!(error.to_string().contains("prot"), "{error}");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_blocks() {
        let table: toml::Table =
            toml::from_str("[limits]\ntrusted_proxies = [\"10.0.0.0/8\", \"127.0.0.1\", \"::1\"]").unwrap();
        let config = toml::Value::Table(table).try_into::<Config>().unwrap();
        let written: Vec<String> = config.limits.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(written, ["10.0.0.0/8", "127.0.0.1/32", "::1/128"]);
        let table: toml::Table = toml::from_str("[limits]\ntrusted_proxies = [\"proxy\"]").unwrap();
        let error = toml::Value::Table(table).try_into::<Config>().unwrap_err();
        assert!(error.to_string().contains("neither an address nor a CIDR block"), "{error}");
    }

    #[test]
    fn an_unusable_policy_is_refused() {
        let config = Config { policy: Policy { code_digits: 2, ..Policy::default() }, ..Config::default() };
        assert!(config.validate().unwrap_err().to_string().contains("code_digits"));
    }
}
