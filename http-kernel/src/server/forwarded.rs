//! The client's address behind a reverse proxy: the TCP peer, unless the peer is a proxy this
//! process trusts, in which case the address it forwarded (`X-Forwarded-For`). Only trusted
//! proxies are believed: anyone else could name any address and escape the per-address limits.

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// An address, or a network in CIDR notation, trusted to say who its client is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy(IpNet);

/// Neither an address nor `address/prefix`.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is neither an IP address nor a network (CIDR, e.g. 10.0.0.0/8)")]
pub struct NotAProxy(String);

impl FromStr for TrustedProxy {
    type Err = NotAProxy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        s.parse::<IpNet>()
            .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
            .map(Self)
            .map_err(|_| NotAProxy(s.to_owned()))
    }
}

impl TrustedProxy {
    fn contains(&self, address: IpAddr) -> bool {
        self.0.contains(&address)
    }
}

/// The client's address for a request from `peer` with `headers`: walking `X-Forwarded-For`
/// from the right (each proxy appends the address it was called from), the first address that
/// is not a trusted proxy; the peer itself when it is not trusted. A malformed entry stops the
/// walk at the last address known good.
#[must_use]
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[TrustedProxy]) -> IpAddr {
    let is_trusted = |address: IpAddr| trusted.iter().any(|t| t.contains(address));
    if !is_trusted(peer) {
        return peer;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        if !is_trusted(client) {
            break;
        }
        match entry.trim().parse::<IpAddr>() {
            Ok(address) => client = address,
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        let h = headers("203.0.113.7");
        assert_eq!(
            client_address(ip("198.51.100.1"), &h, &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_address(ip("198.51.100.1"), &h, &[]),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let trusted: Vec<TrustedProxy> =
            vec!["10.0.0.0/8".parse().unwrap(), "127.0.0.1".parse().unwrap()];
        // The client claims 1.2.3.4 itself; the gateway appended the address it saw.
        let h = headers("1.2.3.4, 203.0.113.7, 10.1.1.1");
        assert_eq!(
            client_address(ip("127.0.0.1"), &h, &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &HeaderMap::new(), &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), &headers("nonsense"), &trusted),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn a_proxy_is_an_address_or_a_network() {
        assert!("10.0.0.0/8".parse::<TrustedProxy>().is_ok());
        assert!("::1".parse::<TrustedProxy>().is_ok());
        assert!("10.0.0.0/99".parse::<TrustedProxy>().is_err());
        assert!("gateway".parse::<TrustedProxy>().is_err());
    }
}
