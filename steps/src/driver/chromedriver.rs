//! The ChromeDriver process a browser run talks to: started on a free port, stopped with the
//! run (the child is killed when this is dropped).

use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

pub struct ChromeDriver {
    pub url: String,
    /// The Chromium binary sessions start.
    pub chrome: String,
    _child: Child,
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

impl ChromeDriver {
    pub async fn start() -> anyhow::Result<Self> {
        let driver = find("CHROMEDRIVER", &["chromedriver"]).context(
            "the browser driver needs ChromeDriver: install Debian's `chromium-driver` (or set CHROMEDRIVER)",
        )?;
        let chrome = find("CHROME", &["chromium", "chromium-browser", "google-chrome"])
            .context("the browser driver needs Chromium: install Debian's `chromium` (or set CHROME)")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
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
        Ok(Self { url: format!("http://127.0.0.1:{port}"), chrome, _child: child })
    }
}
