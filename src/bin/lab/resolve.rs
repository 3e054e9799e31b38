//! Host names on the command line: `--bind localhost` (serve) and
//! `--host localhost` (analyze) are resolved once, by the system resolver,
//! as curl and tcpdump resolve theirs.

use std::net::{IpAddr, ToSocketAddrs};

/// Every address `s` stands for: itself when it is an address, else what the
/// resolver returns for the name (IPv4 first, duplicates removed).
pub(crate) fn addresses(s: &str) -> Result<Vec<IpAddr>, String> {
    if let Ok(ip) = s.parse() {
        return Ok(vec![ip]);
    }
    let mut found: Vec<IpAddr> = (s, 0)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve `{s}`: {e}"))?
        .map(|a| a.ip())
        .collect();
    found.sort_by_key(|a| a.is_ipv6());
    found.dedup();
    if found.is_empty() {
        return Err(format!("`{s}` resolves to no address"));
    }
    Ok(found)
}

/// One address to listen on: the first of [`addresses`] (an IPv4 one when
/// there is one, as most clients try it).
pub(crate) fn one_address(s: &str) -> Result<IpAddr, String> {
    addresses(s).map(|a| a[0])
}

/// `--host`: a name stands for all its addresses.
#[derive(Clone, Debug)]
pub(crate) struct HostArg(pub Vec<IpAddr>);

pub(crate) fn host_arg(s: &str) -> Result<HostArg, String> {
    addresses(s).map(HostArg)
}

#[cfg(test)]
mod tests {
    use super::{addresses, one_address};
    use std::net::{IpAddr, Ipv4Addr};

    #[test]
    fn addresses_and_names() {
        assert_eq!(one_address("::1"), Ok("::1".parse::<IpAddr>().unwrap()));
        assert_eq!(
            one_address("localhost"),
            Ok(IpAddr::V4(Ipv4Addr::LOCALHOST))
        );
        let all = addresses("localhost").unwrap();
        assert_eq!(all[0], IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert!(all.iter().all(|a| a.is_loopback()), "{all:?}");
        let err = addresses("no-such-host.invalid").unwrap_err();
        assert!(err.contains("no-such-host.invalid"), "{err}");
    }
}
