//! Where agencies send people back to, in a browser run: a plain page on each loopback
//! address the agencies registered, so the browser lands somewhere real and the scenario reads
//! the address (with its `code`, `state` or `error`) it was sent to.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use axum::response::Html;

use crate::target::OidcSettings;

pub struct Landing {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Landing {
    fn drop(&mut self) {
        self.tasks.iter().for_each(tokio::task::JoinHandle::abort);
    }
}

/// The loopback addresses the agencies' redirect URIs name.
fn loopback_addresses(oidc: &OidcSettings) -> BTreeSet<SocketAddr> {
    oidc.agencies
        .values()
        .flat_map(|a| [&a.redirect_uri, &a.post_logout_redirect_uri])
        .filter_map(|uri| url::Url::parse(uri).ok())
        .filter(|url| url.scheme() == "http")
        .filter_map(|url| url.socket_addrs(|| Some(80)).ok())
        .flatten()
        .filter(|addr| addr.ip().is_loopback())
        .collect()
}

impl Landing {
    /// Serves the agencies' loopback addresses. An address something else already serves (the
    /// team's own agency app) is left to it.
    pub async fn start(oidc: &OidcSettings) -> Self {
        let mut tasks = Vec::new();
        for addr in loopback_addresses(oidc) {
            let Ok(listener) = tokio::net::TcpListener::bind(addr).await else {
                eprintln!("note: {addr} is in use; the agencies' pages there are served by something else");
                continue;
            };
            let app = axum::Router::new().fallback(|| async {
                Html("<!doctype html><title>Agency</title><h1>Back at the agency</h1>")
            });
            tasks.push(tokio::spawn(async move {
                axum::serve(listener, app).await.ok();
            }));
        }
        Self { tasks }
    }
}
