//! `--transport`: which wire `serve`, `call` and `notify` speak, and where
//! the server is.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use procslink::peer::UnixAddr;

/// A transport and, for all but netlink, the server's address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    /// ProcsLink datagrams over `NETLINK_USERSOCK` (the server is a port id,
    /// given as the first word after the options).
    Netlink,
    /// ProcsLink datagrams over a Unix datagram socket.
    Unix(UnixAddr),
    /// osbuild's jsoncomm: one bare JSON document per Unix datagram.
    Jsoncomm(UnixAddr),
    /// jsoncomm over a `SOCK_SEQPACKET` connection (later osbuild).
    JsoncommSeqpacket(UnixAddr),
    /// The Go domainsockets package: a setup socket named `NAME` in the
    /// temporary directory, then one socket pair per client.
    Domainsockets(String),
    /// EZ-IPC over TCP (`HOST:PORT`), its Base85 profile.
    Ezipc(String),
}

/// The forms `--transport` takes, for its help and its errors.
pub const FORMS: &str = "netlink | unix:PATH | jsoncomm:PATH | jsoncomm-seqpacket:PATH | domainsockets:NAME | ezipc:HOST:PORT";

impl FromStr for Transport {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (kind, rest) = match s.split_once(':') {
            Some((kind, rest)) => (kind, Some(rest)),
            None => (s, None),
        };
        let address = |what: &str| match rest {
            Some(rest) if !rest.is_empty() => Ok(rest),
            _ => Err(format!("--transport {kind} needs {what}: {kind}:{what}")),
        };
        match kind {
            "netlink" if rest.is_none() => Ok(Transport::Netlink),
            "netlink" => Err(
                "--transport netlink takes no address: the server's port id is the first word"
                    .into(),
            ),
            "unix" => Ok(Transport::Unix(unix_addr(address("PATH")?))),
            "jsoncomm" => Ok(Transport::Jsoncomm(unix_addr(address("PATH")?))),
            "jsoncomm-seqpacket" => Ok(Transport::JsoncommSeqpacket(unix_addr(address("PATH")?))),
            "domainsockets" => Ok(Transport::Domainsockets(address("NAME")?.to_string())),
            "ezipc" => match address("HOST:PORT")? {
                a if a
                    .rsplit_once(':')
                    .is_some_and(|(_, p)| p.parse::<u16>().is_ok()) =>
                {
                    Ok(Transport::Ezipc(a.to_string()))
                }
                a => Err(format!("--transport ezipc needs HOST:PORT, not {a:?}")),
            },
            _ => Err(format!("unknown transport {s:?}; expected {FORMS}")),
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transport::Netlink => f.write_str("netlink"),
            Transport::Unix(addr) => write!(f, "unix:{addr}"),
            Transport::Jsoncomm(addr) => write!(f, "jsoncomm:{addr}"),
            Transport::JsoncommSeqpacket(addr) => write!(f, "jsoncomm-seqpacket:{addr}"),
            Transport::Domainsockets(name) => write!(f, "domainsockets:{name}"),
            Transport::Ezipc(addr) => write!(f, "ezipc:{addr}"),
        }
    }
}

/// A path, or an abstract name written `@name`.
fn unix_addr(text: &str) -> UnixAddr {
    match text.strip_prefix('@') {
        Some(name) => UnixAddr::abstract_name(name),
        None => UnixAddr::Path(PathBuf::from(text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form_and_refuses_the_rest() {
        assert_eq!("netlink".parse(), Ok(Transport::Netlink));
        assert_eq!(
            "unix:/run/x.sock".parse(),
            Ok(Transport::Unix(UnixAddr::Path("/run/x.sock".into())))
        );
        assert_eq!(
            "unix:@name".parse(),
            Ok(Transport::Unix(UnixAddr::abstract_name("name")))
        );
        assert_eq!(
            "jsoncomm-seqpacket:@j".parse(),
            Ok(Transport::JsoncommSeqpacket(UnixAddr::abstract_name("j")))
        );
        assert_eq!(
            "domainsockets:svc".parse(),
            Ok(Transport::Domainsockets("svc".into()))
        );
        for bad in [
            "",
            "unix",
            "unix:",
            "netlink:1",
            "tcp:1",
            "jsoncomm",
            "domainsockets:",
        ] {
            assert!(bad.parse::<Transport>().is_err(), "{bad:?}");
        }
        let t: Transport = "unix:@a:b".parse().unwrap();
        assert_eq!(t.to_string(), "unix:@a:b");
    }
}
