//! The ChromeDriver process a browser run talks to: started on a free port in a process group
//! of its own, so that dropping it ends ChromeDriver *and* every Chromium it started — when
//! the run ends, fails, panics or is interrupted (the runner owns it on its stack).

use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

pub struct ChromeDriver {
    pub endpoint: Endpoint,
    child: Child,
}

/// Where browser sessions come from.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// ChromeDriver's WebDriver URL.
    pub url: String,
    /// The Chromium binary sessions start.
    pub chrome: String,
}

/// The first of `names` found on PATH (or the value of `env`, when set).
fn find(env: &str, names: &[&str]) -> Option<String> {
    if let Ok(path) = std::env::var(env) {
        return Some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
        .map(|p| p.to_string_lossy().into_owned())
}

/// The browsers a run may use, best first. Chromium's headless shell is Chromium's own engine
/// built for automation without the desktop browser's windowing: a page load costs it about a
/// third of the CPU time the full browser's headless mode does (see README, "Performance").
const BROWSERS: [&str; 4] = ["chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"];

/// Debian's headless shell itself. Its `/usr/bin` launcher runs it as a child instead of in
/// its own place, so a browser ChromeDriver quits through the launcher would outlive it.
const DEBIAN_HEADLESS_SHELL: &str = "/usr/lib/chromium/chromium-headless-shell";

/// The Chromium a browser run starts: `CHROME`, else the first of [`BROWSERS`] on PATH.
pub fn browser() -> Option<String> {
    let found = find("CHROME", &BROWSERS)?;
    let launcher = found.ends_with("/bin/chromium-headless-shell") && std::env::var_os("CHROME").is_none();
    Some(if launcher && std::path::Path::new(DEBIAN_HEADLESS_SHELL).is_file() {
        DEBIAN_HEADLESS_SHELL.to_owned()
    } else {
        found
    })
}

/// Whether `chrome` is the headless shell (always headless: it takes no `--headless` mode).
pub fn is_headless_shell(chrome: &str) -> bool {
    chrome.contains("headless-shell") || chrome.contains("headless_shell")
}

/// The browser a browser run uses, as it names itself (`Chromium 138.0…`), for the record.
pub fn browser_version() -> Option<String> {
    let chrome = browser()?;
    let output = std::process::Command::new(&chrome).arg("--version").output().ok()?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let version = if is_headless_shell(&chrome) { format!("{version} (headless shell)") } else { version };
    (output.status.success() && !version.is_empty()).then_some(version)
}

impl ChromeDriver {
    pub async fn start() -> anyhow::Result<Self> {
        let driver = find("CHROMEDRIVER", &["chromedriver"]).context(
            "the browser driver needs ChromeDriver: install Debian's `chromium-driver` (or set CHROMEDRIVER)",
        )?;
        let chrome = browser().context(
            "the browser driver needs Chromium: install Debian's `chromium-headless-shell` or `chromium` (or set \
             CHROME)",
        )?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own group: Chromium's processes join it, and one signal ends them all.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {driver}"))?;
        // Ready when it says so on its output: no polling, no sleeping.
        let stdout = child.stdout.take().context("no output from chromedriver")?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = async {
            while let Some(line) = lines.next_line().await? {
                if line.contains("started successfully") {
                    return Ok(());
                }
            }
            anyhow::bail!("chromedriver stopped before it was ready")
        };
        tokio::time::timeout(Duration::from_secs(20), ready)
            .await
            .context("chromedriver did not start within 20 s")??;
        // Keep draining its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self { endpoint: Endpoint { url: format!("http://127.0.0.1:{port}"), chrome }, child })
    }

    /// The process group of ChromeDriver and its browsers.
    pub fn process_group(&self) -> Option<u32> {
        self.child.id()
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        if let Some(group) = self.child.id().and_then(|id| rustix::process::Pid::from_raw(id as i32)) {
            // Already gone is fine; anything else is worth a line, as a process may be left.
            if let Err(error) = rustix::process::kill_process_group(group, rustix::process::Signal::KILL)
                && error != rustix::io::Errno::SRCH
            {
                eprintln!("cannot stop ChromeDriver's process group {group:?}: {error}");
            }
        }
        // Reap ChromeDriver itself (its browsers are reaped by init once it is gone).
        self.child.start_kill().ok();
        self.child.try_wait().ok();
    }
}
