//! The implementation under test, described by a TOML target file.
//!
//! ```toml
//! schema_version = 1                   # optional: the shape of this file (schemas/target.schema.json)
//! base_url = "http://127.0.0.1:8080"   # where the service is
//! # base_urls = ["http://127.0.0.1:8080", "http://127.0.0.1:8081"]   # or: several instances of it
//! driver = "api"                       # "api" (JSON API) or "browser" (web pages)
//!
//! [container]                          # optional: the suite starts your image (see ContainerSettings)
//! image = "my-sign-in:latest"
//! port = 8080
//!
//! [clock]                              # optional: lets time-dependent scenarios move time
//! hook_url = "http://127.0.0.1:8080/__conformance/clock"
//!
//! [deliveries]                         # optional: says when every queued message has been sent
//! hook_url = "http://127.0.0.1:8080/__conformance/deliveries"
//!
//! [inbox]                              # the fakes' inbox API (`conformance fakes`)
//! url = "http://127.0.0.1:8026"
//! wait_secs = 10                       # how long an email or text may take to arrive
//! code_pattern = "code: (\\d+)"         # optional: where the code is, if the suite misreads it
//! misuse_report_link = "/abuse"        # optional: which link of the sign-up-attempt notice reports misuse
//!
//! [policy]                             # optional: declared values, if not the documented ones
//! code_lifetime_secs = 300
//!
//! [notices]                            # optional: your security emails' subjects, if worded otherwise
//! password_changed = "(?i)new password set"
//!
//! [browser]                            # optional, browser driver: your pages' words and paths
//! labels = { "Email address" = "Email" }
//! paths = { "/sign-up" = "/register" }
//!
//! [accessibility]                      # optional, browser driver: AX-1 and AX-3 on every page
//! tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]   # axe-core rule tags (the default)
//! exclude = ["#chat-widget"]           # elements not checked
//! [[accessibility.disabled]]           # an axe-core rule left out, with why
//! rule = "color-contrast"
//! reason = "brand colours under review (ticket A11Y-7)"
//!
//! [oidc]                               # optional: agency sign-in (OpenID Connect)
//! issuer = "http://127.0.0.1:8080"
//! [oidc.agencies.benefits]             # private_key_jwt; email, phone (and verified identity)
//! client_id = "urn:gov:example:benefits"
//! redirect_uri = "http://127.0.0.1:18090/benefits/callback"
//! post_logout_redirect_uri = "http://127.0.0.1:18090/benefits/signed-out"
//! private_key_file = "agencies/benefits.key.pem"   # relative to this file
//! [oidc.agencies.parks]                # a public client (PKCE), for email only
//! client_id = "urn:gov:example:parks"
//! redirect_uri = "http://127.0.0.1:18090/parks/callback"
//! post_logout_redirect_uri = "http://127.0.0.1:18090/parks/signed-out"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The version of the target file's shape it is written for
    /// (`schemas/target.schema.json`); absent: the current one.
    #[serde(default)]
    pub schema_version: Option<u32>,
    /// Where the service is (or, with `base_urls`, its first instance).
    #[serde(default)]
    pub base_url: String,
    /// Several instances of one service (one store): each scenario's requests go to them in
    /// turn, so its rules must hold across instances. Instead of `base_url`.
    #[serde(default)]
    pub base_urls: Vec<String>,
    #[serde(default)]
    pub driver: DriverKind,
    /// The service as an image the suite starts, wired to fakes it starts too.
    #[serde(default)]
    pub container: Option<ContainerSettings>,
    #[serde(default)]
    pub clock: Option<ClockSettings>,
    /// Asked before a check that a message did not come; without it the suite watches the
    /// inbox for a short quiet period instead.
    #[serde(default)]
    pub deliveries: Option<DeliveriesSettings>,
    /// The fakes' inbox API. With `[container]` the suite starts the fakes and fills in `url`.
    #[serde(default)]
    pub inbox: InboxSettings,
    /// The policy the target declares (defaults: the documented values); property tests
    /// predict its answers from these values.
    #[serde(default)]
    pub policy: crate::model::ModelPolicy,
    /// Agency sign-in; without it, agency scenarios are reported as not run.
    #[serde(default)]
    pub oidc: Option<OidcSettings>,
    /// For the browser driver: another implementation's labels and paths.
    #[serde(default)]
    pub browser: crate::driver::pages::BrowserMapping,
    /// What the service offers (`conformance contract` lists the capabilities); absent: everything.
    /// Scenarios tagged `@needs_<capability>` for one not listed are not run (unchecked).
    #[serde(default)]
    pub capabilities: Option<Vec<String>>,
    /// Security notices worded otherwise: event name (`sign_up_attempt`, `personal_key_used`,
    /// `password_changed`, `email_change_requested`, `email_changed`, `phone_changed`, and the
    /// in-person results `in_person_passed`, `in_person_failed`, `in_person_expired`) → a
    /// regex over the subject.
    #[serde(default)]
    pub notices: BTreeMap<String, String>,
    /// The accessibility checks of a browser run (AX-1, AX-3): rule tags, rules left out
    /// with why, elements not checked.
    #[serde(default)]
    pub accessibility: crate::driver::accessibility::AccessibilitySettings,
}

/// The agencies the scenarios play, as registered with the target.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// The issuer: discovery is at `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    /// By the names scenarios use: `benefits` (private_key_jwt; email and phone) and `parks`
    /// (public client with PKCE; email).
    pub agencies: BTreeMap<String, AgencySettings>,
}

/// The agencies every agency scenario needs, and what each must be registered for.
pub const AGENCIES: [(&str, &str); 2] = [
    (
        "benefits",
        "a client with private_key_jwt, registered for the email and phone scopes and, where identity \
         verification is offered, for verified identity with profile:name, profile:birthdate, address and \
         social_security_number",
    ),
    (
        "parks",
        "a public client (PKCE, no key), registered for the email scope only, without verified identity",
    ),
];

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgencySettings {
    pub client_id: String,
    pub redirect_uri: String,
    pub post_logout_redirect_uri: String,
    /// PEM private key (PKCS#8 or PKCS#1) whose public half the target has registered; a
    /// relative path is read from the target file's folder. Absent: a public client.
    #[serde(default)]
    pub private_key_file: Option<PathBuf>,
    /// The key's PEM text, read from `private_key_file` (or set in-process).
    #[serde(skip)]
    pub private_key_pem: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, clap::ValueEnum, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DriverKind {
    #[default]
    Api,
    Browser,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockSettings {
    pub hook_url: String,
    /// The bearer token the service's hook requires, if it requires one.
    #[serde(default)]
    pub token: Option<String>,
}

/// A hook that answers `GET` with `{"waiting": n}`: how many messages (emails, texts, calls) the
/// service has queued and not yet handed to the mail server or SMS provider. It may hold the
/// answer a while for them to go. Once it says 0, a message that did not reach the inbox was
/// not sent, and one look at the inbox decides a check that nothing came.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesSettings {
    pub hook_url: String,
    /// The bearer token the service's hook requires, if it requires one.
    #[serde(default)]
    pub token: Option<String>,
}

/// A service shipped as an image: `conformance run` and `check-target` start the fakes, then
/// the image with testcontainers on the host's network (so it reaches the fakes on loopback and
/// the suite reaches it at `http://127.0.0.1:{port}`), wait until it is ready, and remove it
/// afterwards, also on failure and Ctrl-C. Its output is kept as `container.log` in the report
/// folder.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainerSettings {
    /// An image on the local Docker engine (`docker build` or `docker load` it first: the
    /// suite never pulls).
    pub image: String,
    /// The port the service listens on. The container shares the host's network, so this is
    /// also where the suite reaches it (`base_url` defaults to `http://127.0.0.1:{port}`).
    pub port: u16,
    /// When the service is ready: `{ http = "/healthz" }` (a 2xx from that path, the default)
    /// or `{ log = "listening" }` (that text in its output).
    #[serde(default)]
    pub ready: Readiness,
    /// How long readiness may take.
    #[serde(default = "default_ready_secs")]
    pub ready_timeout_secs: u64,
    /// The container's environment. Values may name the fakes: `{fakes.smtp_host}`,
    /// `{fakes.smtp_port}`, `{fakes.sms_url}` (Twilio-shaped SMS and voice) with
    /// `{fakes.sms_account_sid}` and `{fakes.sms_auth_token}`, `{fakes.inbox_url}`,
    /// `{fakes.proofing_url}` (identity proofing and the Post Office) with
    /// `{fakes.proofing_username}` and `{fakes.proofing_password}`, and `{port}`.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Arguments to the image's entry point (the same placeholders).
    #[serde(default)]
    pub args: Vec<String>,
    /// Files or folders from the host, read-only: `{ source = "agencies", target = "/etc/agencies" }`,
    /// a relative source being read from the target file's folder.
    #[serde(default)]
    pub mounts: Vec<MountSettings>,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MountSettings {
    pub source: PathBuf,
    pub target: String,
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Readiness {
    /// A 2xx answer from this path.
    Http(String),
    /// This text in the container's output (stdout or stderr).
    Log(String),
}

impl Default for Readiness {
    fn default() -> Self {
        Self::Http("/healthz".into())
    }
}

fn default_ready_secs() -> u64 {
    60
}

/// The names a container's `env` and `args` may use.
pub const CONTAINER_PLACEHOLDERS: [&str; 10] = [
    "{fakes.smtp_host}",
    "{fakes.smtp_port}",
    "{fakes.sms_url}",
    "{fakes.sms_account_sid}",
    "{fakes.sms_auth_token}",
    "{fakes.inbox_url}",
    "{fakes.proofing_url}",
    "{fakes.proofing_username}",
    "{fakes.proofing_password}",
    "{port}",
];

impl ContainerSettings {
    /// Every `{…}` in `env` and `args` must be one of [`CONTAINER_PLACEHOLDERS`].
    fn validate(&self) -> anyhow::Result<()> {
        let placeholder = regex::Regex::new(r"\{[^{}]*\}").expect("pattern");
        for value in self.env.values().chain(&self.args) {
            for found in placeholder.find_iter(value) {
                anyhow::ensure!(
                    CONTAINER_PLACEHOLDERS.contains(&found.as_str()),
                    "[container] {:?} is not one of {}",
                    found.as_str(),
                    CONTAINER_PLACEHOLDERS.join(", ")
                );
            }
        }
        if let Readiness::Http(path) = &self.ready {
            anyhow::ensure!(
                path.starts_with('/'),
                "[container] ready = {{ http = {path:?} }} must be a path"
            );
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InboxSettings {
    /// Where the fakes' inbox API is (`conformance fakes` prints it).
    #[serde(default)]
    pub url: String,
    #[serde(default = "default_wait_secs")]
    pub wait_secs: u64,
    /// A regex with one group, the code, for messages the suite's own reading gets wrong
    /// (`conformance explain-code` shows that reading).
    #[serde(default)]
    pub code_pattern: Option<String>,
    /// A regex naming, among the links of the notice of a sign-up attempt, the one that
    /// reports misuse of the address (SU-7). Default: `(?i)report|misuse`.
    #[serde(default)]
    pub misuse_report_link: Option<String>,
}

fn default_wait_secs() -> u64 {
    10
}

impl Default for InboxSettings {
    fn default() -> Self {
        Self {
            url: String::new(),
            wait_secs: default_wait_secs(),
            code_pattern: None,
            misuse_report_link: None,
        }
    }
}

impl Target {
    /// The instances a scenario's requests are spread over (one, without `base_urls`).
    pub fn instances(&self) -> Vec<&str> {
        if self.base_urls.is_empty() {
            vec![self.base_url.as_str()]
        } else {
            self.base_urls.iter().map(String::as_str).collect()
        }
    }

    /// Whether `url` is at the service (at any of its instances).
    pub fn serves(&self, url: &url::Url) -> bool {
        self.instances().iter().any(|i| url::Url::parse(i).is_ok_and(|i| i.origin() == url.origin()))
    }

    /// Whether the service offers `capability` (every one, when the target lists none).
    pub fn offers(&self, capability: &str) -> bool {
        self.capabilities.as_ref().is_none_or(|list| list.iter().any(|c| c == capability))
    }

    /// How codes are read from this target's texts and calls.
    pub fn code_reader(&self) -> anyhow::Result<crate::code_reading::CodeReader> {
        crate::code_reading::CodeReader::new(self.inbox.code_pattern.as_deref())
    }

    /// Which link of the notice of a sign-up attempt reports misuse.
    pub fn misuse_report_link(&self) -> anyhow::Result<regex::Regex> {
        let pattern = self.inbox.misuse_report_link.as_deref().unwrap_or("(?i)report|misuse");
        regex::Regex::new(pattern)
            .with_context(|| format!("[inbox] misuse_report_link {pattern:?} is not a regex"))
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the target file {}", path.display()))?;
        let mut target =
            Self::parse(&text).with_context(|| format!("in the target file {}", path.display()))?;
        let folder = path.parent().unwrap_or(Path::new("."));
        for (name, agency) in target.oidc.iter_mut().flat_map(|o| o.agencies.iter_mut()) {
            if let Some(file) = &agency.private_key_file {
                let file = folder.join(file);
                agency.private_key_pem = Some(std::fs::read_to_string(&file).with_context(|| {
                    format!(
                        "in the target file {}: cannot read agency {name}'s key {}",
                        path.display(),
                        file.display()
                    )
                })?);
            }
        }
        Ok(target)
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let mut target: Target = toml::from_str(text)?;
        if let Some(container) = &target.container {
            container.validate()?;
            if target.base_url.is_empty() && target.base_urls.is_empty() {
                target.base_url = format!("http://127.0.0.1:{}", container.port);
            }
        } else {
            anyhow::ensure!(
                !target.inbox.url.is_empty(),
                "[inbox] url is missing: where is the fakes' inbox API? (`conformance fakes` prints it)"
            );
        }
        match (target.base_url.is_empty(), target.base_urls.first()) {
            (true, None) => {
                anyhow::bail!("base_url is missing: where is the service? (or base_urls, its instances)")
            }
            (false, Some(_)) => {
                anyhow::bail!("give base_url (one instance) or base_urls (several), not both")
            }
            (true, Some(first)) => target.base_url = first.clone(),
            (false, None) => {}
        }
        if target.driver == DriverKind::Browser {
            target.browser_can_spread()?;
        }
        if let Some(version) = target.schema_version {
            anyhow::ensure!(
                version == crate::versions::TARGET_SCHEMA,
                "schema_version = {version}: this suite reads target files of version {} \
                 (schemas/target.schema.json); use the suite the file was written for",
                crate::versions::TARGET_SCHEMA
            );
        }
        target.browser.validate()?;
        crate::notices::NoticePatterns::new(&target.notices)?;
        target.code_reader()?;
        target.misuse_report_link()?;
        for rule in &target.accessibility.disabled {
            anyhow::ensure!(
                !rule.reason.trim().is_empty(),
                "[[accessibility.disabled]] {:?} needs a reason: the report names every rule left out, and why",
                rule.rule
            );
        }
        for capability in target.capabilities.iter().flatten() {
            anyhow::ensure!(
                crate::contract::CAPABILITIES.iter().any(|(c, _)| c == capability),
                "capabilities: {capability:?} is not one of {}",
                crate::contract::CAPABILITIES.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
            );
        }
        if let Some(oidc) = &target.oidc {
            for (name, role) in AGENCIES {
                anyhow::ensure!(
                    oidc.agencies.contains_key(name),
                    "[oidc.agencies.{name}] is missing: the agency scenarios need it ({role})"
                );
            }
        }
        let agency_urls = target.oidc.iter().flat_map(|o| {
            std::iter::once(("oidc.issuer", &o.issuer)).chain(o.agencies.values().flat_map(|a| {
                [("redirect_uri", &a.redirect_uri), ("post_logout_redirect_uri", &a.post_logout_redirect_uri)]
            }))
        });
        let inbox_url = (!target.inbox.url.is_empty()).then_some(("inbox.url", &target.inbox.url));
        for (name, url) in std::iter::once(("base_url", &target.base_url))
            .chain(inbox_url)
            .chain(target.base_urls.iter().map(|u| ("base_urls", u)))
            .chain(target.clock.as_ref().map(|c| ("clock.hook_url", &c.hook_url)))
            .chain(agency_urls)
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

impl Target {
    /// A browser keeps cookies per host, not per port: its requests can go to several instances
    /// only if they share one host name, or each would see a different person.
    pub fn browser_can_spread(&self) -> anyhow::Result<()> {
        let hosts: std::collections::BTreeSet<String> = self
            .instances()
            .iter()
            .filter_map(|u| url::Url::parse(u).ok()?.host_str().map(str::to_owned))
            .collect();
        anyhow::ensure!(
            hosts.len() <= 1,
            "base_urls: the browser driver needs every instance on one host name (they may differ by port): \
             a browser keeps a session's cookie per host, so instances on {} would each see someone else",
            hosts.into_iter().collect::<Vec<_>>().join(" and ")
        );
        Ok(())
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
        assert!(t.offers("voice") && t.offers("personal_key"), "no list: everything is offered");
        let t = Target { capabilities: Some(vec!["voice".into()]), ..t };
        assert!(t.offers("voice") && !t.offers("personal_key"));
    }

    #[test]
    fn mistakes_are_explained() {
        let e = Target::parse("base_url = \"localhost:8080\"\n[inbox]\nurl = \"http://x\"").unwrap_err();
        assert!(format!("{e:#}").contains("base_url"), "{e:#}");
        let e =
            Target::parse("base_url = \"http://x\"\nbase_ulr = 1\n[inbox]\nurl = \"http://x\"").unwrap_err();
        assert!(format!("{e:#}").contains("base_ulr"), "{e:#}");
        let e =
            Target::parse("base_url = \"http://x\"\ncapabilities = [\"fax\"]\n[inbox]\nurl = \"http://x\"")
                .unwrap_err();
        assert!(format!("{e:#}").contains("fax"), "{e:#}");
    }

    #[test]
    fn a_container_target_needs_no_base_url_nor_inbox_and_names_only_known_placeholders() {
        let t = Target::parse(
            "[container]\nimage = \"mine:1\"\nport = 9000\nargs = [\"--port\", \"{port}\"]\n\
             env = { SMTP = \"{fakes.smtp_host}:{fakes.smtp_port}\" }",
        )
        .unwrap();
        assert_eq!(t.base_url, "http://127.0.0.1:9000");
        let container = t.container.unwrap();
        assert_eq!(container.ready, Readiness::Http("/healthz".into()));
        assert_eq!(container.ready_timeout_secs, 60);
        let e = Target::parse("[container]\nimage = \"m\"\nport = 1\nenv = { A = \"{fakes.smtp}\" }")
            .unwrap_err();
        assert!(format!("{e:#}").contains("\"{fakes.smtp}\" is not one of"), "{e:#}");
        let e = Target::parse("base_url = \"http://x\"").unwrap_err();
        assert!(format!("{e:#}").contains("[inbox] url is missing"), "{e:#}");
    }

    #[test]
    fn several_instances_are_taken_in_turn_and_the_first_is_the_base() {
        let inbox = "\n[inbox]\nurl = \"http://x\"";
        let t = Target::parse(&format!("base_urls = [\"http://a:1\", \"http://a:2\"]{inbox}")).unwrap();
        assert_eq!(t.base_url, "http://a:1");
        assert_eq!(t.instances(), ["http://a:1", "http://a:2"]);
        assert!(t.serves(&url::Url::parse("http://a:2/confirm?token=x").unwrap()));
        assert!(!t.serves(&url::Url::parse("http://a:3/").unwrap()));
        for (text, says) in [
            (format!("base_url = \"http://a:1\"\nbase_urls = [\"http://a:2\"]{inbox}"), "not both"),
            (inbox.to_owned(), "base_url is missing"),
            (format!("base_urls = [\"http://a:1\", \"a:2\"]{inbox}"), "base_urls"),
            (
                format!("driver = \"browser\"\nbase_urls = [\"http://a:1\", \"http://b:1\"]{inbox}"),
                "one host name",
            ),
        ] {
            let e = Target::parse(&text).unwrap_err();
            assert!(format!("{e:#}").contains(says), "{text}: {e:#}");
        }
    }
}
