//! The address a request came from, for per-client limits: the connection's peer, or what a
//! trusted proxy says it saw (see `rules::client_address`).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use super::AppState;
use crate::rules::client_address::client_address;

/// `None` only when the request did not come over a connection (tests calling the router).
pub struct Client(pub Option<IpAddr>);

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Self::Rejection> {
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
            return Ok(Client(None));
        };
        let forwarded: Vec<&str> =
            parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        let trusted = &app.services.config.limits.trusted_proxies;
        Ok(Client(Some(client_address(peer.ip(), &forwarded, trusted))))
    }
}
