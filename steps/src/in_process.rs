//! The reference server and the fakes, started in this process on free ports: the default
//! target, and what the test harness runs against.

use reference_server::{Config, RunningServer};

use crate::target::{ClockSettings, DriverKind, InboxSettings, Target};

pub struct InProcess {
    pub server: RunningServer,
    pub fakes: fakes::Fakes,
}

impl InProcess {
    pub async fn start(policy: reference_server::Policy) -> anyhow::Result<Self> {
        let fakes = fakes::Fakes::start(fakes::FakesConfig::ephemeral()).await?;
        let settings = fakes.settings();
        let mut config = Config::for_tests();
        config.policy = policy;
        config.smtp.host = settings.smtp_host;
        config.smtp.port = settings.smtp_port;
        config.sms.base_url = settings.sms_base_url;
        config.sms.account_sid = settings.sms_account_sid;
        config.sms.auth_token = settings.sms_auth_token.into();
        let server = reference_server::start(config).await?;
        Ok(Self { server, fakes })
    }

    pub fn target(&self, driver: DriverKind) -> Target {
        Target {
            base_url: self.server.base_url.clone(),
            driver,
            clock: Some(ClockSettings { hook_url: format!("{}/__conformance/clock", self.server.base_url) }),
            inbox: InboxSettings { url: self.fakes.api_url(), wait_secs: 10 },
            policy: crate::model::ModelPolicy::default(),
        }
    }
}
