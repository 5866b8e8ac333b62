//! Serving connections within limits no client can stretch: request headers must arrive
//! within a time (also the longest a kept-alive connection may sit idle), a whole request must
//! be read and answered within a time, and only so many connections are served at once (the
//! next waits to be accepted). A slow client is cut off; the others keep being served.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::config::Limits;

pub async fn serve(listener: TcpListener, app: Router, limits: Limits) {
    let app = app.layer(tower_http::timeout::TimeoutLayer::with_status_code(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        Duration::from_secs(limits.request_timeout_secs),
    ));
    let connections = Arc::new(Semaphore::new(limits.max_connections));
    let header_timeout = Duration::from_secs(limits.header_read_timeout_secs);
    loop {
        let Ok(permit) = connections.clone().acquire_owned().await else { return };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: pause instead of spinning (real time:
                // this is about the machine recovering, not a rule of the service).
                tracing::warn!(%error, "cannot accept a connection");
                #[allow(clippy::disallowed_methods)]
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Answers go out as soon as they are written. With Nagle's algorithm on, the second of
        // two pipelined answers waits for the client to acknowledge the first, and a client
        // with nothing to send delays that by up to 40 ms.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot turn Nagle's algorithm off");
        }
        // Who is on the other end, for per-client limits (`http::client`).
        let app = app.clone().map_request(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        let service = TowerToHyperService::new(app);
        tokio::spawn(async move {
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended");
            }
            drop(permit);
        });
    }
}
