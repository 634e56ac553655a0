//! [`ClientOptions`]: how a client behaves.

use std::prelude::rust_2024::*;

use std::time::Duration;

use crate::jsonrpc::Style;
use crate::procslink::{MAX_DATAGRAM, PROCSLINK_OVERHEAD};

/// How many extra sockets a client opens at most by default (see
/// [`ClientOptions::max_extra_sockets`]).
const DEFAULT_EXTRA_SOCKETS: usize = 64;

/// How a client behaves.
///
/// ```
/// use std::time::Duration;
/// use procslink::peer::ClientOptions;
/// let opts = ClientOptions::new().timeout(Duration::from_millis(500));
/// assert_eq!(opts.get_timeout(), Duration::from_millis(500));
/// ```
#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub(super) timeout: Duration,
    pub(super) max_datagram: usize,
    pub(super) style: Style,
    pub(super) recv_buffer: Option<usize>,
    pub(super) max_extra_sockets: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(5),
            max_datagram: MAX_DATAGRAM,
            style: Style::Python,
            recv_buffer: None,
            max_extra_sockets: DEFAULT_EXTRA_SOCKETS,
        }
    }
}

impl ClientOptions {
    /// The defaults: 5 s timeout, 4096-byte datagrams, Python's spelling
    /// (byte-identical to the reference client's requests).
    pub fn new() -> Self {
        ClientOptions::default()
    }

    /// How long a call waits, from sending to its response, including the
    /// wait for room in the server's queue when it is full (for
    /// [`Client::call_timeout`](crate::peer::Client::call_timeout), that call's own timeout); how long a
    /// notification waits for room. At least 1 ms.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The call timeout.
    pub fn get_timeout(&self) -> Duration {
        self.timeout
    }

    /// The largest datagram sent or received, headers included (default
    /// 4096, the reference's limit).
    #[must_use]
    pub fn max_datagram(mut self, bytes: usize) -> Self {
        self.max_datagram = bytes.max(PROCSLINK_OVERHEAD + 2);
        self
    }

    /// How requests are spelled (default [`Style::Python`]).
    #[must_use]
    pub fn style(mut self, style: Style) -> Self {
        self.style = style;
        self
    }

    /// The socket's receive buffer size, for many calls in flight (default:
    /// the system's).
    #[must_use]
    pub fn recv_buffer_size(mut self, bytes: usize) -> Self {
        self.recv_buffer = Some(bytes);
        self
    }

    /// How many sockets a client shared by threads may open beside its
    /// own (default 64; 0: none).
    ///
    /// One calling thread at a time reads the client's socket and hands
    /// the others their answers, which costs each of them a wake-up and a
    /// context switch. A caller that finds that turn taken takes an idle
    /// extra socket instead, or opens one while fewer than this are open,
    /// and sends its request and reads its answer there itself; when all
    /// are busy it waits its turn on the client's socket. Extra sockets
    /// stay open as long as the client. So **a server sees a client's
    /// calls come from several addresses** (netlink ports, autobound Unix
    /// names): up to one per caller in flight at once. Everything else
    /// holds on each: answers matched by id and sender,
    /// [`Client::expect_peer_uid`](crate::peer::Client::expect_peer_uid)
    /// checked on every reply, the timeout,
    /// [`Client::stats`](crate::peer::Client::stats) summing them all.
    /// A server's [`ServerOptions::max_per_sender`](crate::peer::ServerOptions::max_per_sender)
    /// counts each address apart unless it receives credentials (then by
    /// uid). A client on a Unix socket bound to a path and a
    /// `SOCK_SEQPACKET` connection open none.
    ///
    /// ```
    /// use procslink::peer::ClientOptions;
    /// assert_eq!(ClientOptions::new().max_extra_sockets(0).get_max_extra_sockets(), 0);
    /// ```
    #[must_use]
    pub fn max_extra_sockets(mut self, sockets: usize) -> Self {
        self.max_extra_sockets = sockets;
        self
    }

    /// The most extra sockets.
    pub fn get_max_extra_sockets(&self) -> usize {
        self.max_extra_sockets
    }
}
