//! Where the server may send a department's webhook. Departments live on government intranets,
//! so private addresses are allowed; never link-local addresses and the cloud metadata service
//! (169.254.0.0/16, fe80::/10, fd00:ec2::254), where a webhook could read the machine's own
//! credentials, nor the unspecified or multicast addresses; and loopback only where the operator
//! says so (`webhook_allow_loopback`: a receiver on the same machine, or tests). The rule is
//! checked when a URL is set, and again on every address a name resolves to when a webhook is
//! sent (a name can be pointed anywhere after it was accepted).

use std::net::{IpAddr, Ipv6Addr, SocketAddr, ToSocketAddrs};

/// Why the server will not send to `ip`, if it will not.
pub fn refused(ip: IpAddr, allow_loopback: bool) -> Option<&'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    let metadata = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254);
    match ip {
        IpAddr::V4(v4) if v4.is_link_local() => {
            Some("a link-local address (169.254.0.0/16, the cloud metadata service)")
        }
        IpAddr::V6(v6) if v6 == metadata => Some("the cloud metadata service"),
        IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80 => Some("a link-local address (fe80::/10)"),
        ip if ip.is_unspecified() => Some("the unspecified address"),
        ip if ip.is_multicast() => Some("a multicast address"),
        IpAddr::V4(v4) if v4.is_broadcast() => Some("the broadcast address"),
        ip if ip.is_loopback() && !allow_loopback => {
            Some("this machine (loopback); set webhook_allow_loopback to allow it")
        }
        _ => None,
    }
}

/// Checks a webhook URL as a department's admin sets it: http or https, a host, and — where the
/// host is an address, or `localhost` — an address the server may send to.
pub fn check_url(text: &str, allow_loopback: bool) -> Result<(), String> {
    let url = reqwest::Url::parse(text).map_err(|e| format!("is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http:// or https:// URL".into());
    }
    let host = match url.host() {
        None => return Err("must name a host".into()),
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) if name.eq_ignore_ascii_case("localhost") || name.ends_with(".localhost") => {
            Some(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST))
        }
        Some(url::Host::Domain(_)) => None,
    };
    match host.and_then(|ip| refused(ip, allow_loopback)) {
        Some(why) => Err(format!("points at {why}")),
        None => Ok(()),
    }
}

/// Resolves names for the webhook client, keeping only the addresses it may send to.
pub struct Resolver {
    pub allow_loopback: bool,
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (host, allow_loopback) = (name.as_str().to_owned(), self.allow_loopback);
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::task::spawn_blocking(move || (host.as_str(), 0).to_socket_addrs())
                .await
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)??
                .collect();
            let allowed: Vec<SocketAddr> =
                found.iter().copied().filter(|a| refused(a.ip(), allow_loopback).is_none()).collect();
            if allowed.is_empty() && !found.is_empty() {
                let why = refused(found[0].ip(), allow_loopback).unwrap_or("an address not allowed");
                return Err(format!("the name resolves only to {why}").into());
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intranets_yes_metadata_and_link_local_no() {
        for ok in ["https://10.20.30.40/hook", "http://192.168.1.5:8080/x", "https://dept.example.gov.cn/hook"] {
            assert_eq!(check_url(ok, false), Ok(()), "{ok}");
        }
        for bad in [
            "http://169.254.169.254/latest/meta-data",
            "http://[fd00:ec2::254]/",
            "http://[fe80::1]/",
            "http://0.0.0.0/",
            "http://[::ffff:169.254.169.254]/",
            "ftp://example.com/",
        ] {
            assert!(check_url(bad, true).is_err(), "{bad}");
        }
        for looped in ["http://127.0.0.1:9000/", "http://localhost/", "http://[::1]/"] {
            assert!(check_url(looped, false).is_err(), "{looped}");
            assert_eq!(check_url(looped, true), Ok(()), "{looped}");
        }
    }
}
