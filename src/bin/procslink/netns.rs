//! `--netns NAME`: enter a named network namespace (as `ip netns` names
//! them, a file under `/var/run/netns`) before any socket is opened.

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use procslink::netlink::display::Escaped;
use rustix::fs::{Mode, OFlags};
use rustix::thread::{LinkNameSpaceType, move_into_link_name_space};

use crate::Failure;

/// Where `ip netns add` binds the namespaces it names.
const NETNS_DIR: &str = "/var/run/netns";

/// Moves the calling thread into network namespace `name` (`setns`), so
/// that the netlink sockets it opens next talk to that namespace. Nothing
/// happens for `None`: the command stays in the caller's namespace.
pub fn enter(name: Option<&OsStr>) -> Result<(), Failure> {
    let Some(name) = name else {
        return Ok(());
    };
    let bytes = name.as_bytes();
    let shown = Escaped(bytes);
    if bytes.is_empty() || bytes.contains(&b'/') || bytes == b"." || bytes == b".." {
        return Err(Failure::Code(
            2,
            format!("invalid network namespace name {:?}", Escaped(bytes)),
        ));
    }
    let path = Path::new(NETNS_DIR).join(name);
    let fd = rustix::fs::open(&path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| Failure::msg(format!("cannot open network namespace {shown}: {e}")))?;
    move_into_link_name_space(fd.as_fd(), Some(LinkNameSpaceType::Network))
        .map_err(|e| Failure::msg(format!("cannot enter network namespace {shown}: {e}")))
}
