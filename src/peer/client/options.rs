//! [`ClientOptions`]: how a client behaves.

use std::prelude::rust_2024::*;

use std::time::Duration;

use crate::jsonrpc::Style;
use crate::procslink::{MAX_DATAGRAM, PROCSLINK_OVERHEAD};

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
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(5),
            max_datagram: MAX_DATAGRAM,
            style: Style::Python,
            recv_buffer: None,
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
}
