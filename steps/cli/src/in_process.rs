//! The reference server and the fakes, started in this process on free ports: the default
//! target, and what the test harness runs against.

use std::collections::BTreeMap;

use reference_server::config::AgencyConfig;
use reference_server::rules::oidc::Attribute;
use reference_server::{Config, RunningServer};
use secrecy::ExposeSecret as _;

use conformance::report::Summary;
use conformance::runner::{self, RunOptions};
use conformance::target::{
    AgencySettings, ClockSettings, DeliveriesSettings, DriverKind, InboxSettings, OidcSettings, Target,
};

pub struct InProcess {
    /// The first instance.
    pub server: RunningServer,
    /// Further instances on the same data directory (one store), if asked for.
    pub others: Vec<RunningServer>,
    pub fakes: fakes::Fakes,
    agencies: BTreeMap<String, AgencySettings>,
}

/// The two agencies the scenarios play, registered as `target::AGENCIES` says: `benefits`
/// with a key made for this run and verified identity, `parks` as a public client. Their redirect URIs are on a free
/// loopback port, where a browser run serves a landing page (`landing`); the API driver only
/// reads the address.
fn agencies() -> anyhow::Result<(Vec<AgencyConfig>, BTreeMap<String, AgencySettings>)> {
    let (private, public) = conformance::agency::new_key_pair()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut configs = Vec::new();
    let mut settings = BTreeMap::new();
    let verified = [Attribute::Name, Attribute::Birthdate, Attribute::Address, Attribute::Ssn];
    for (name, key, attributes) in [
        (
            "benefits",
            Some((private, public)),
            [vec![Attribute::Email, Attribute::Phone], verified.to_vec()].concat(),
        ),
        ("parks", None, vec![Attribute::Email]),
    ] {
        let agency = AgencySettings {
            client_id: format!("urn:gov:example:{name}"),
            redirect_uri: format!("http://127.0.0.1:{port}/{name}/callback"),
            post_logout_redirect_uri: format!("http://127.0.0.1:{port}/{name}/signed-out"),
            private_key_file: None,
            private_key_pem: key.as_ref().map(|(private, _)| private.clone()),
        };
        configs.push(AgencyConfig {
            client_id: agency.client_id.clone(),
            name: format!("The {name} agency"),
            redirect_uris: vec![agency.redirect_uri.clone()],
            post_logout_redirect_uris: vec![agency.post_logout_redirect_uri.clone()],
            public_key: key.map(|(_, public)| public),
            verified: attributes.iter().any(|a| a.verified()),
            attributes,
        });
        settings.insert(name.to_owned(), agency);
    }
    Ok((configs, settings))
}

impl InProcess {
    pub async fn start(policy: reference_server::Policy) -> anyhow::Result<Self> {
        Self::start_configured(|config| config.policy = policy).await
    }

    /// Starts the server with `adjust` applied to its test configuration (tests pick a
    /// test-only variant of the server this way).
    pub async fn start_configured(adjust: impl FnOnce(&mut Config)) -> anyhow::Result<Self> {
        Self::start_instances(1, adjust).await
    }

    /// `instances` servers on one data directory, and so one store: several instances of one
    /// service, as behind a balancer (each with its own memory, clock and background jobs).
    pub async fn start_instances(instances: usize, adjust: impl FnOnce(&mut Config)) -> anyhow::Result<Self> {
        let fakes = fakes::Fakes::start(fakes::FakesConfig::ephemeral()).await?;
        let mut config = Config::for_tests();
        config.use_fakes(&fakes.settings());
        let (registered, agencies) = agencies()?;
        config.agencies = registered;
        adjust(&mut config);
        let server = reference_server::start(config.clone()).await?;
        let mut others = Vec::new();
        for _ in 1..instances {
            others.push(reference_server::start(config.clone()).await?);
        }
        Ok(Self { server, others, fakes, agencies })
    }

    /// Stops every instance.
    pub fn stop(self) {
        self.server.stop();
        self.others.into_iter().for_each(RunningServer::stop);
    }

    /// The instances' addresses, the first one first.
    pub fn base_urls(&self) -> Vec<String> {
        std::iter::once(&self.server).chain(&self.others).map(|s| s.base_url.clone()).collect()
    }

    fn hook_token(&self) -> Option<String> {
        self.server.services.config.conformance_hook_token.as_ref().map(|t| t.expose_secret().to_owned())
    }

    pub fn target(&self, driver: DriverKind) -> Target {
        Target {
            schema_version: None,
            base_url: self.server.base_url.clone(),
            base_urls: if self.others.is_empty() { Vec::new() } else { self.base_urls() },
            driver,
            container: None,
            clock: Some(ClockSettings {
                hook_url: format!("{}/__conformance/clock", self.server.base_url),
                token: self.hook_token(),
            }),
            deliveries: Some(DeliveriesSettings {
                hook_url: format!("{}/__conformance/deliveries", self.server.base_url),
                token: self.hook_token(),
            }),
            inbox: InboxSettings {
                url: self.fakes.api_url(),
                wait_secs: 10,
                code_pattern: None,
                misuse_report_link: None,
            },
            policy: conformance::model::ModelPolicy::default(),
            oidc: Some(OidcSettings {
                issuer: self.server.base_url.clone(),
                agencies: self.agencies.clone(),
            }),
            browser: Default::default(),
            capabilities: None,
            notices: Default::default(),
            accessibility: Default::default(),
        }
    }
}

/// Runs the suite against the reference server started in this process with the documented
/// policy (`instances` of it on one store); `adjust` sets the run's options (the target is the
/// in-process server's).
pub async fn run(instances: usize, adjust: impl FnOnce(&mut RunOptions)) -> anyhow::Result<Summary> {
    let started = InProcess::start_instances(instances, |config| config.policy = Default::default()).await?;
    let mut target = started.target(DriverKind::Api);
    // The reference server offers the JSON API: a browser run makes its accounts there.
    target.browser.arrange = conformance::driver::pages::Arrange::Api;
    let mut options = RunOptions::new(target);
    options.target_description = Some(
        match instances {
            1 => format!("the reference server, in-process ({})", started.server.base_url),
            n => format!(
                "{n} instances of the reference server on one store, in-process ({})",
                started.base_urls().join(", ")
            ),
        } + "; a browser run makes each scenario's account through the JSON API",
    );
    adjust(&mut options);
    let summary = runner::run(options).await;
    started.stop();
    summary
}
