//! AV-1: slow clients (requests sent a byte at a time) against the service, while others ask
//! for its first page. Real time on purpose: how long a service lets a slow client hold a
//! connection is what is measured, and it has nothing to do with the service's clock.

use std::time::Duration;

use anyhow::Context as _;
use cucumber::{then, when};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::world::LoginWorld;

/// The slow clients of a scenario: each task ends when the service closes its connection, and
/// answers how long that took.
#[derive(Debug, Default)]
pub struct SlowClients {
    tasks: Vec<JoinHandle<Option<Duration>>>,
}

/// One slow client: a request line and headers, a byte every `pace`, until the service closes
/// the connection (or stops reading) or `give_up` has passed.
#[allow(clippy::disallowed_methods)] // measures and paces in real time (see the module's note)
async fn slow_client(address: String, host: String, pace: Duration, give_up: Duration) -> Option<Duration> {
    let started = std::time::Instant::now();
    let mut stream = TcpStream::connect(&address).await.ok()?;
    let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: slow-client\r\nX-Padding: ");
    let mut bytes = request.into_bytes().into_iter().chain(std::iter::repeat(b'a'));
    let mut buffer = [0u8; 1024];
    while started.elapsed() < give_up {
        let byte = [bytes.next().unwrap_or(b'a')];
        if stream.write_all(&byte).await.is_err() {
            return Some(started.elapsed());
        }
        // Wait a pace, but notice at once if the service closes the connection.
        match tokio::time::timeout(pace, stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {} // an answer (a 408, say) before closing: keep reading
            Err(_) => {}    // still open
        }
    }
    None
}

#[when(expr = "{int} clients open connections and send their requests a byte every {int} seconds")]
async fn slow_clients(world: &mut LoginWorld, n: usize, pace: u64) -> anyhow::Result<()> {
    let url = url::Url::parse(&world.ctx.target.base_url)?;
    anyhow::ensure!(url.scheme() == "http", "the slow-client check speaks plain HTTP; {url} is not");
    let host = url.host_str().context("the base URL has no host")?.to_owned();
    let port = url.port_or_known_default().context("the base URL has no port")?;
    let address = format!("{host}:{port}");
    let give_up = Duration::from_secs(90);
    world.slow = SlowClients {
        tasks: (0..n)
            .map(|_| {
                tokio::spawn(slow_client(address.clone(), host.clone(), Duration::from_secs(pace), give_up))
            })
            .collect(),
    };
    // Let them all connect and start before others ask.
    #[allow(clippy::disallowed_methods)] // real time: see the module's note
    tokio::time::sleep(Duration::from_secs(pace)).await;
    Ok(())
}

#[then(expr = "other people's requests are answered meanwhile, each within {int} seconds")]
async fn others_answered(world: &mut LoginWorld, within: u64) -> anyhow::Result<()> {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(within)).build()?;
    let mut times = Vec::new();
    for i in 0..10 {
        #[allow(clippy::disallowed_methods)] // a measurement
        let started = std::time::Instant::now();
        let answer = http.get(&world.ctx.target.base_url).send().await.with_context(|| {
            format!(
                "request {} of 10 was not answered within {within} s while slow clients were connected",
                i + 1
            )
        })?;
        times.push(started.elapsed());
        anyhow::ensure!(
            !answer.status().is_server_error(),
            "answered {} while slow clients were connected",
            answer.status()
        );
    }
    times.sort();
    world.note(format!(
        "others' requests while slow clients were connected: median {:.0} ms, slowest {:.0} ms (10 requests)",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    ));
    Ok(())
}

#[then(expr = "the service cuts every slow client off within {int} seconds")]
async fn cut_off(world: &mut LoginWorld, within: u64) -> anyhow::Result<()> {
    let tasks = std::mem::take(&mut world.slow.tasks);
    let n = tasks.len();
    let mut cut: Vec<Duration> = Vec::new();
    for task in tasks {
        if let Some(after) = task.await.context("a slow client's task failed")? {
            cut.push(after);
        }
    }
    cut.sort();
    let limit = Duration::from_secs(within);
    let late = cut.iter().filter(|t| **t > limit).count();
    let never = n - cut.len();
    let last = match cut.last() {
        Some(t) => format!("the last after {:.1} s", t.as_secs_f64()),
        None => "none at all".to_owned(),
    };
    let summary =
        format!("{} of {n} slow clients cut off ({last}); {never} still connected after 90 s", cut.len());
    world.note(summary.clone());
    anyhow::ensure!(never == 0 && late == 0, "{summary}; {late} cut off only after {within} s");
    Ok(())
}
