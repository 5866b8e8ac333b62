//! Which address a request came from, for per-client limits.
//!
//! Behind a proxy every request seems to come from the proxy, and `X-Forwarded-For` is
//! written by whoever sends it. So the header is believed only as far as a trusted proxy
//! wrote it: starting from the connection's peer, each hop that is a trusted proxy vouches
//! for the address to its left; the first address not vouched for that way is the client.
//! With no trusted proxies the header is never read.

use std::net::IpAddr;

use ipnet::IpNet;

/// The client's address, given the connection's `peer`, the `X-Forwarded-For` values in the
/// order received, and the proxies trusted to write that header.
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer;
    let hops = forwarded_for.iter().flat_map(|value| value.split(',')).map(str::trim);
    for hop in hops.collect::<Vec<_>>().into_iter().rev() {
        if !is_trusted(&client) {
            break;
        }
        // A hop that is not an address was not written by a trusted proxy: stop at the
        // last address one vouched for.
        match parse_hop(hop) {
            Some(ip) => client = ip,
            None => break,
        }
    }
    client
}

/// An address as proxies write it: `203.0.113.7`, `2001:db8::1` or `[2001:db8::1]:443`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse().ok().or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        assert_eq!(client_address(ip("198.51.100.1"), &["203.0.113.7"], &[]), ip("198.51.100.1"));
    }

    #[test]
    fn a_trusted_proxy_vouches_for_the_address_it_saw() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(client_address(ip("10.0.0.2"), &["203.0.113.7"], &trusted), ip("203.0.113.7"));
    }

    #[test]
    fn addresses_a_client_wrote_itself_are_not_believed() {
        // The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended what it saw.
        let trusted = nets(&["10.0.0.0/8"]);
        let header = ["1.2.3.4, 203.0.113.7"];
        assert_eq!(client_address(ip("10.0.0.2"), &header, &trusted), ip("203.0.113.7"));
    }

    #[test]
    fn a_chain_of_trusted_proxies_is_followed_across_header_lines() {
        let trusted = nets(&["10.0.0.0/8", "2001:db8::/32"]);
        let header = ["1.2.3.4, 203.0.113.7", "[2001:db8::5]:443", "10.1.1.1"];
        assert_eq!(client_address(ip("10.0.0.2"), &header, &trusted), ip("203.0.113.7"));
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(client_address(ip("198.51.100.1"), &["10.0.0.9"], &trusted), ip("198.51.100.1"));
    }

    #[test]
    fn garbage_stops_at_the_last_vouched_address() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(client_address(ip("10.0.0.2"), &["unknown"], &trusted), ip("10.0.0.2"));
        assert_eq!(client_address(ip("10.0.0.2"), &["junk, 10.0.0.3"], &trusted), ip("10.0.0.3"));
    }
}
