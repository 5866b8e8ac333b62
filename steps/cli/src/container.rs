//! A target shipped as an image (`[container]` in the target file): the fakes are started in
//! this process, then the image with testcontainers, on the host's network so that it reaches
//! the fakes on loopback and the suite reaches it at its port; the container is removed when
//! [`Started`] is dropped, however the run ends (an error, a panic, Ctrl-C dropping the
//! command). Its output is written to a log file as it comes, so it is kept whatever happens.
//!
//! Host networking rather than a published port: on a plain Docker engine on Linux it needs no
//! gateway address and no fake listening beyond loopback, and the service's own idea of its
//! address (links in emails, the OpenID issuer) is the address the suite uses.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use conformance::target::{ContainerSettings, Readiness, Target};
use futures::future::BoxFuture;
use testcontainers::core::logs::LogFrame;
use testcontainers::core::logs::consumer::LogConsumer;
use testcontainers::core::{Mount, WaitFor};
use testcontainers::runners::AsyncRunner as _;
use testcontainers::{ContainerAsync, GenericImage, ImageExt as _};

/// The fakes and the running container; dropping it removes the container.
pub struct Started {
    pub fakes: fakes::Fakes,
    /// The target with the fakes' inbox filled in.
    pub target: Target,
    pub log: PathBuf,
    log_file: LogFile,
    container: ContainerAsync<GenericImage>,
}

impl Started {
    /// The container's id, for what the report says it ran against.
    pub fn id(&self) -> &str {
        self.container.id()
    }

    /// Ends the log file: what the container writes from now on is not kept (the file is
    /// about to be signed with the run's reports).
    pub fn log_closer(&self) -> impl FnOnce() + Send + 'static {
        let log = self.log_file.clone();
        move || log.close()
    }
}

/// Why a container target could not be started, in the words a team can act on.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotStarted(String);

/// Starts the fakes and `target`'s container (from the target file in `folder`), writing the
/// container's output to `log`, and waits until it is ready.
pub async fn start(target: &Target, folder: &Path, log: &Path) -> anyhow::Result<Started> {
    let settings = target.container.as_ref().context("the target has no [container]")?;
    let fakes =
        fakes::Fakes::start(fakes::FakesConfig::ephemeral()).await.context("cannot start the fakes")?;
    let filled = |value: &str| fill(value, &fakes.settings(), settings.port);
    let (name, tag) = match settings.image.rsplit_once(':').filter(|(_, tag)| !tag.contains('/')) {
        Some((name, tag)) => (name.to_owned(), tag.to_owned()),
        None => (settings.image.clone(), "latest".to_owned()),
    };
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let writer = LogFile::create(log)?;
    let mut image = GenericImage::new(name, tag);
    if let Readiness::Log(text) = &settings.ready {
        image = image.with_wait_for(WaitFor::message_on_either_std(text.as_bytes()));
    }
    let mut request = image
        .with_network("host")
        .with_startup_timeout(Duration::from_secs(settings.ready_timeout_secs))
        .with_log_consumer(writer.clone());
    if !settings.args.is_empty() {
        request = request.with_cmd(settings.args.iter().map(|a| filled(a)));
    }
    for (key, value) in &settings.env {
        request = request.with_env_var(key, filled(value));
    }
    for mount in &settings.mounts {
        let source = folder.join(&mount.source);
        let source = source
            .canonicalize()
            .with_context(|| format!("[container] mount source {} does not exist", source.display()))?;
        request = request.with_mount(
            Mount::bind_mount(source.to_string_lossy(), &mount.target)
                .with_access_mode(testcontainers::core::AccessMode::ReadOnly),
        );
    }
    let container = request.start().await.map_err(|e| explain(settings, &e.to_string()))?;
    let mut target = target.clone();
    target.inbox.url = fakes.api_url();
    let started = Started { fakes, target, log: log.to_owned(), log_file: writer.clone(), container };
    if let Readiness::Http(path) = &settings.ready {
        wait_for_http(&started, settings, path, &writer).await?;
    }
    Ok(started)
}

/// `value` with the fakes' addresses and credentials put in.
fn fill(value: &str, fakes: &fakes::api::Settings, port: u16) -> String {
    [
        ("{fakes.smtp_host}", fakes.smtp_host.clone()),
        ("{fakes.smtp_port}", fakes.smtp_port.to_string()),
        ("{fakes.sms_url}", fakes.sms_base_url.clone()),
        ("{fakes.sms_account_sid}", fakes.sms_account_sid.clone()),
        ("{fakes.sms_auth_token}", fakes.sms_auth_token.clone()),
        ("{fakes.inbox_url}", fakes.inbox_url.clone()),
        ("{fakes.proofing_url}", fakes.proofing_url.clone()),
        ("{fakes.proofing_username}", fakes.proofing_username.clone()),
        ("{fakes.proofing_password}", fakes.proofing_password.clone()),
        ("{port}", port.to_string()),
    ]
    .iter()
    .fold(value.to_owned(), |v, (name, filled)| v.replace(name, filled))
}

/// testcontainers' errors, said as what to do.
fn explain(settings: &ContainerSettings, error: &str) -> anyhow::Error {
    let lower = error.to_lowercase();
    let why = if lower.contains("no such image") || lower.contains("pull") || lower.contains("not found") {
        format!(
            "the image {:?} is not on this Docker engine, and the suite never pulls one: build it \
             (`docker build -t {0} .`) or load it (`docker load`) first. ({error})",
            settings.image
        )
    } else if lower.contains("socket") || lower.contains("connect") || lower.contains("docker.sock") {
        format!(
            "no Docker engine answers (is it installed and running, and may this user use it? DOCKER_HOST \
             names another one). ({error})"
        )
    } else if lower.contains("timeout") || lower.contains("timed out") {
        format!(
            "the container did not say it was ready within {} s ([container] ready, ready_timeout_secs). ({error})",
            settings.ready_timeout_secs
        )
    } else if lower.contains("exited") {
        format!("the container stopped before it was ready; its output is in the log. ({error})")
    } else {
        format!("the container could not be started: {error}")
    };
    NotStarted(why).into()
}

/// Polls `path` until it answers 2xx (start-up, not a rule: bounded by the readiness timeout,
/// and it stops at the first answer), saying what it saw when it gives up.
async fn wait_for_http(
    started: &Started,
    settings: &ContainerSettings,
    path: &str,
    log: &LogFile,
) -> anyhow::Result<()> {
    let url = format!("http://127.0.0.1:{}{path}", settings.port);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build()?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(settings.ready_timeout_secs);
    let mut last = String::from("nothing listened on the port");
    loop {
        match http.get(&url).send().await {
            Ok(answer) if answer.status().is_success() => return Ok(()),
            Ok(answer) => last = format!("it answered HTTP {}", answer.status().as_u16()),
            Err(error) if error.is_connect() => {}
            Err(error) => last = format!("it did not answer: {error}"),
        }
        if !started.container.is_running().await.unwrap_or(false) {
            let code = started.container.exit_code().await.ok().flatten();
            return Err(NotStarted(format!(
                "the container stopped (exit code {}) before {url} answered; its last output:\n{}",
                code.map_or("unknown".into(), |c| c.to_string()),
                log.tail(15)
            ))
            .into());
        }
        if tokio::time::Instant::now() >= deadline {
            let never_opened = last == "nothing listened on the port";
            return Err(NotStarted(format!(
                "{url} did not answer 2xx within {} s: {last}{}; its last output:\n{}",
                settings.ready_timeout_secs,
                if never_opened {
                    format!(" (does the service listen on port {} of the host's network?)", settings.port)
                } else {
                    String::new()
                },
                log.tail(15)
            ))
            .into());
        }
        pause().await;
    }
}

#[allow(clippy::disallowed_methods)] // start-up polling, not a rule: bounded by the readiness timeout
async fn pause() {
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// The container's output, appended to a file as it comes.
#[derive(Clone)]
struct LogFile {
    /// `None` once closed.
    file: Arc<Mutex<Option<std::fs::File>>>,
    path: PathBuf,
}

impl LogFile {
    fn create(path: &Path) -> anyhow::Result<Self> {
        let file =
            std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self { file: Arc::new(Mutex::new(Some(file))), path: path.to_owned() })
    }

    fn close(&self) {
        if let Ok(mut file) = self.file.lock()
            && let Some(mut file) = file.take()
        {
            let _ = file.write_all(b"\n[conformance] the run ended here; later output is not kept\n");
        }
    }

    /// The last `lines` lines written.
    fn tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl LogConsumer for LogFile {
    fn accept<'a>(&'a self, record: &'a LogFrame) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Ok(mut file) = self.file.lock()
                && let Some(file) = file.as_mut()
            {
                let _ = file.write_all(record.bytes());
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn placeholders_are_filled_with_the_fakes_addresses() {
        let started = fakes::Fakes::start(fakes::FakesConfig::ephemeral()).await.unwrap();
        let fakes = started.settings();
        assert_eq!(
            fill("{fakes.smtp_host}:{fakes.smtp_port}", &fakes, 9),
            format!("{}:{}", fakes.smtp_host, fakes.smtp_port)
        );
        assert_eq!(
            fill("127.0.0.1:{port} {fakes.sms_url}", &fakes, 9),
            format!("127.0.0.1:9 {}", fakes.sms_base_url)
        );
        for name in conformance::target::CONTAINER_PLACEHOLDERS {
            let filled = fill(name, &fakes, 9);
            assert!(!filled.contains('{') && !filled.is_empty(), "{name} is not filled: {filled:?}");
        }
    }
}
