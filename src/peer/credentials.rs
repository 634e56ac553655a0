//! Receiving with the sender's credentials (`SO_PASSCRED`,
//! `SCM_CREDENTIALS`) without ever holding a pid of 0 in a `NonZero`.
//!
//! rustix (1.1.6, the latest) reads `SCM_CREDENTIALS` into its `UCred`,
//! whose pid is a `NonZero`; the kernel sends pid 0 for a sender in a PID
//! namespace the receiver cannot see, which that read turns into undefined
//! behaviour. So credentials are read here with nix, whose `ucred` keeps
//! the pid as a plain `pid_t`:
//!
//! - netlink carries no descriptors: a datagram is received with nix
//!   alone;
//! - on Unix sockets only rustix hands received descriptors over as owned
//!   (nix gives raw numbers, and owning one would take `unsafe`, which the
//!   crate forbids). A socket that receives credentials therefore peeks
//!   at each message's credentials with nix first (closing the duplicates
//!   of any descriptors the peek brought), then receives the message with
//!   rustix when its pid is not 0. A message whose pid is 0 is received
//!   with nix: its descriptors, if any, are closed unread and the message
//!   is reported as having lost its ancillary data
//!   ([`RecvInfo::control_truncated`]); so is one whose control data
//!   does not fit the room the peek gives it (then without credentials).
//!   Peeking and receiving happen under the socket's credential lock, so
//!   no other reader takes the message in between.

use crate::peer::sync::lock;
use std::prelude::rust_2024::*;

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::socket::{
    ControlMessageOwned, MsgFlags, NetlinkAddr, RecvMsg, UnixCredentials, recvmsg,
};

use super::socket::{
    Address, Credentials, MAX_FDS, RecvInfo, UnixAddr, io_error, recv_error, recv_unix,
};

/// Room for a message's credentials, the most descriptors it can carry
/// and a security label (`SCM_SECURITY`, under an LSM), aligned as
/// `cmsghdr` must be: nix reads nothing of a truncated control buffer.
const CONTROL_SPACE: usize = rustix::cmsg_space!(ScmRights(MAX_FDS), ScmCredentials(1)) + 4096;

#[repr(C, align(8))]
struct ControlSpace([u8; CONTROL_SPACE]);

impl ControlSpace {
    fn new() -> Self {
        ControlSpace([0; CONTROL_SPACE])
    }
}

/// Whether a socket asked for its senders' credentials, and the lock its
/// readers take while they do.
#[derive(Debug, Default)]
pub(crate) struct CredentialReads {
    on: AtomicBool,
    turn: Mutex<()>,
}

impl CredentialReads {
    /// Turns `SO_PASSCRED` on or off on `fd`, remembering which.
    pub(crate) fn set(&self, fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
        rustix::net::sockopt::set_socket_passcred(fd, on)
            .map_err(|e| io_error(e, || "setsockopt SO_PASSCRED".to_string()))?;
        self.on.store(on, Ordering::SeqCst);
        Ok(())
    }

    /// Receives one message from the Unix socket `fd` as [`recv_unix`]
    /// does, reading its credentials safely when they are on.
    pub(crate) fn recv_unix(&self, fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<RecvInfo> {
        if !self.on.load(Ordering::Relaxed) {
            return recv_unix(fd, buf);
        }
        let _turn = lock(&self.turn);
        let mut space = ControlSpace::new();
        let peeked = recvmsg::<()>(
            fd.as_raw_fd(),
            &mut [],
            Some(&mut space.0),
            MsgFlags::MSG_PEEK | MsgFlags::MSG_TRUNC | MsgFlags::MSG_CMSG_CLOEXEC,
        )
        .map_err(receive_error)?;
        if peeked.flags.contains(MsgFlags::MSG_CTRUNC) {
            // Its credentials cannot be read: it is taken without them.
            return recv_with_nix(fd, buf, None);
        }
        let (credentials, _) = take_control(&peeked);
        match credentials {
            Some(c) if c.pid == 0 => recv_with_nix(fd, buf, Some(&mut space.0)),
            // A pid rustix can hold (or no credentials at all).
            _ => recv_unix(fd, buf),
        }
    }
}

fn receive_error(errno: nix::errno::Errno) -> io::Error {
    recv_error(rustix_errno(errno), "receive from unix socket")
}

fn rustix_errno(errno: nix::errno::Errno) -> rustix::io::Errno {
    rustix::io::Errno::from_raw_os_error(errno as i32)
}

/// The credentials among a received message's control messages; every
/// descriptor among them is closed (nix hands them over as raw numbers).
/// Whether there were descriptors, or control data was truncated.
fn take_control<S>(msg: &RecvMsg<'_, '_, S>) -> (Option<Credentials>, bool) {
    let truncated = msg.flags.contains(MsgFlags::MSG_CTRUNC);
    let Ok(messages) = msg.cmsgs() else {
        return (None, true);
    };
    let mut credentials = None;
    let mut had_fds = false;
    for message in messages {
        match message {
            ControlMessageOwned::ScmCredentials(c) => credentials = Some(credentials_from(&c)),
            ControlMessageOwned::ScmRights(fds) => {
                had_fds |= !fds.is_empty();
                fds.into_iter().for_each(close_raw);
            }
            _ => {}
        }
    }
    (credentials, truncated || had_fds)
}

/// Closes a descriptor the kernel just put into this process for a
/// received message, which nothing else knows of.
fn close_raw(fd: RawFd) {
    let _ = nix::unistd::close(fd);
}

pub(crate) fn credentials_from(c: &UnixCredentials) -> Credentials {
    Credentials {
        pid: c.pid(),
        uid: c.uid(),
        gid: c.gid(),
    }
}

/// Receives the next message with nix, into `control` (`None`: none, and
/// the kernel drops whatever came with it): its descriptors are closed
/// and reported as lost. For a message whose sender's pid is 0 (not
/// visible here), or whose control data did not fit.
fn recv_with_nix(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    control: Option<&mut [u8]>,
) -> io::Result<RecvInfo> {
    let without_control = control.is_none();
    let mut iov = [io::IoSliceMut::new(buf)];
    let msg = recvmsg::<nix::sys::socket::UnixAddr>(
        fd.as_raw_fd(),
        &mut iov,
        control,
        MsgFlags::MSG_TRUNC | MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .map_err(receive_error)?;
    let (credentials, lost) = take_control(&msg);
    let lost = lost || without_control;
    let from = msg.address.as_ref().and_then(unix_addr).map(Address::Unix);
    Ok(RecvInfo {
        len: msg.bytes,
        from,
        credentials,
        fds: Vec::new(),
        control_truncated: lost,
    })
}

/// A named Unix sender's address (`None` for an unnamed one, or none at
/// all: a connection's messages come without an address).
fn unix_addr(addr: &nix::sys::socket::UnixAddr) -> Option<UnixAddr> {
    use nix::sys::socket::SockaddrLike;
    // nix hands over the address with the kernel's length even when that
    // is 0, and its accessors assert on one shorter than `sun_family`.
    if (addr.len() as usize) < std::mem::offset_of!(nix::libc::sockaddr_un, sun_path) {
        return None;
    }
    if let Some(path) = addr.path() {
        return Some(UnixAddr::Path(path.to_path_buf()));
    }
    addr.as_abstract()
        .map(|name| UnixAddr::Abstract(name.to_vec()))
}

/// Receives one netlink datagram into `buf` with its sender's port and
/// credentials (when `SO_PASSCRED` is on), with nix: netlink carries no
/// descriptors.
pub(crate) fn recv_netlink(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<RecvInfo> {
    let mut space = ControlSpace::new();
    let mut iov = [io::IoSliceMut::new(buf)];
    let msg = recvmsg::<NetlinkAddr>(
        fd.as_raw_fd(),
        &mut iov,
        Some(&mut space.0),
        MsgFlags::MSG_TRUNC | MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .map_err(|e| recv_error(rustix_errno(e), "receive from netlink socket"))?;
    let (credentials, _) = take_control(&msg);
    let port = msg
        .address
        .map(|a| a.pid())
        .ok_or_else(|| io::Error::other("netlink datagram without a sender address"))?;
    Ok(RecvInfo {
        len: msg.bytes,
        from: Some(Address::Netlink(port)),
        credentials,
        fds: Vec::new(),
        control_truncated: msg.flags.contains(MsgFlags::MSG_CTRUNC),
    })
}
