//! The implementation under test, described by a TOML target file.
//!
//! ```toml
//! base_url = "http://127.0.0.1:8080"   # where the service is
//! driver = "api"                       # "api" (JSON API) or "browser" (web pages)
//!
//! [clock]                              # optional: lets time-dependent scenarios move time
//! hook_url = "http://127.0.0.1:8080/__conformance/clock"
//!
//! [inbox]                              # the fakes' inbox API (`conformance fakes`)
//! url = "http://127.0.0.1:8026"
//! wait_secs = 10                       # how long an email or text may take to arrive
//!
//! [policy]                             # optional: declared values, if not the documented ones
//! code_lifetime_secs = 300
//! ```

use std::path::Path;

use anyhow::Context as _;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub base_url: String,
    #[serde(default)]
    pub driver: DriverKind,
    #[serde(default)]
    pub clock: Option<ClockSettings>,
    pub inbox: InboxSettings,
    /// The policy the target declares (defaults: the documented values); property tests
    /// predict its answers from these values.
    #[serde(default)]
    pub policy: crate::model::ModelPolicy,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DriverKind {
    #[default]
    Api,
    Browser,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSettings {
    pub hook_url: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxSettings {
    pub url: String,
    #[serde(default = "default_wait_secs")]
    pub wait_secs: u64,
}

fn default_wait_secs() -> u64 {
    10
}

impl Target {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the target file {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in the target file {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let target: Target = toml::from_str(text)?;
        for (name, url) in [("base_url", &target.base_url), ("inbox.url", &target.inbox.url)]
            .into_iter()
            .chain(target.clock.as_ref().map(|c| ("clock.hook_url", &c.hook_url)))
        {
            let parsed = url::Url::parse(url).with_context(|| format!("{name} = {url:?} is not a URL"))?;
            anyhow::ensure!(
                matches!(parsed.scheme(), "http" | "https"),
                "{name} = {url:?} must start with http:// or https://"
            );
        }
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_target_has_no_clock_and_uses_the_api() {
        let t =
            Target::parse("base_url = \"http://localhost:8080\"\n[inbox]\nurl = \"http://localhost:8026\"")
                .unwrap();
        assert_eq!(t.driver, DriverKind::Api);
        assert!(t.clock.is_none());
        assert_eq!(t.inbox.wait_secs, 10);
    }

    #[test]
    fn mistakes_are_explained() {
        let e = Target::parse("base_url = \"localhost:8080\"\n[inbox]\nurl = \"http://x\"").unwrap_err();
        assert!(format!("{e:#}").contains("base_url"), "{e:#}");
        let e =
            Target::parse("base_url = \"http://x\"\nbase_ulr = 1\n[inbox]\nurl = \"http://x\"").unwrap_err();
        assert!(format!("{e:#}").contains("base_ulr"), "{e:#}");
    }
}
