//! [`ServerOptions`]: how a server behaves.

use std::prelude::rust_2024::*;

use std::collections::BTreeSet;
use std::time::Duration;

use crate::jsonrpc::Style;
use crate::procslink::{MAX_DATAGRAM, PROCSLINK_OVERHEAD};

/// How a server behaves. The defaults are the reference's: the
/// `nlmsg_pid` check on, no uid allow-list, 4096-byte datagrams, Python's
/// JSON spelling, one serving thread.
///
/// ```
/// use procslink::peer::ServerOptions;
/// let opts = ServerOptions::new().allow_uid(0).allow_uid(1000).threads(2);
/// assert!(opts.allows_uid(1000));
/// assert!(!opts.allows_uid(1001));
/// assert!(ServerOptions::new().allows_uid(1001));
/// ```
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub(super) allow_uids: Option<BTreeSet<u32>>,
    pub(super) check_pid: bool,
    pub(super) pass_credentials: bool,
    pub(super) admit_overflow_uid: bool,
    pub(super) max_datagram: usize,
    pub(super) style: Style,
    pub(super) threads: usize,
    pub(super) recv_buffer: Option<usize>,
    pub(super) reply_timeout: Duration,
    pub(super) poll_interval: Duration,
    pub(super) max_queue_age: Option<Duration>,
    pub(super) handler_timeout: Option<Duration>,
    pub(super) stop_timeout: Duration,
    pub(super) max_per_sender: Option<usize>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            allow_uids: None,
            check_pid: true,
            pass_credentials: false,
            admit_overflow_uid: false,
            max_datagram: MAX_DATAGRAM,
            style: Style::Python,
            threads: 1,
            recv_buffer: None,
            reply_timeout: Duration::from_secs(1),
            poll_interval: Duration::from_millis(250),
            max_queue_age: None,
            handler_timeout: None,
            stop_timeout: Duration::from_secs(5),
            max_per_sender: None,
        }
    }
}

impl ServerOptions {
    /// The defaults.
    pub fn new() -> Self {
        ServerOptions::default()
    }

    /// Serves only senders whose kernel-supplied uid is `uid` or another
    /// uid allowed this way. With an allow-list the server turns on
    /// `SO_PASSCRED`, so the kernel attaches each sender's credentials; a
    /// datagram without credentials, or from another uid, is counted as
    /// [denied](crate::peer::ServerStats::denied): its requests are answered
    /// [`PERMISSION_DENIED`](crate::peer::PERMISSION_DENIED) (-32001
    /// "Permission denied") without running any handler, and its
    /// notifications are dropped.
    ///
    /// In a user namespace other than the initial one, the kernel reports
    /// every sender whose uid has no mapping there as the overflow uid
    /// (`/proc/sys/kernel/overflowuid`, 65534 by default, often also
    /// "nobody"'s): allowing that uid would admit all of them, so the
    /// allow-list does not admit it unless
    /// [`admit_overflow_uid`](Self::admit_overflow_uid) asks for it.
    #[must_use]
    pub fn allow_uid(mut self, uid: u32) -> Self {
        self.allow_uids
            .get_or_insert_with(BTreeSet::new)
            .insert(uid);
        self
    }

    /// Whether the allow-list admits the overflow uid when the server runs
    /// in a user namespace, where it stands for every unmapped sender (see
    /// [`allow_uid`](Self::allow_uid)); default false. In the initial user
    /// namespace every uid is mapped and the overflow uid is an ordinary
    /// one.
    #[must_use]
    pub fn admit_overflow_uid(mut self, on: bool) -> Self {
        self.admit_overflow_uid = on;
        self
    }

    /// Whether a sender with `uid` is served, by the list alone (the
    /// overflow uid of a server in a user namespace aside).
    pub fn allows_uid(&self, uid: u32) -> bool {
        self.allow_uids
            .as_ref()
            .is_none_or(|set| set.contains(&uid))
    }

    /// Whether a netlink request must carry the sender's real port id in
    /// `nlmsg_pid` (on by default, as in the reference): a datagram whose
    /// `nlmsg_pid` is 0 or differs from the port the kernel reports is
    /// counted as [spoofed](crate::peer::ServerStats::spoofed) and not answered. Unix
    /// datagrams carry no port id; this does not apply to them.
    #[must_use]
    pub fn check_pid(mut self, on: bool) -> Self {
        self.check_pid = on;
        self
    }

    /// Asks for the senders' credentials even without an allow-list, for
    /// handlers to read ([`Params::credentials`](crate::peer::Params::credentials)).
    #[must_use]
    pub fn pass_credentials(mut self, on: bool) -> Self {
        self.pass_credentials = on;
        self
    }

    /// The largest datagram served or sent, headers included (default
    /// [`MAX_DATAGRAM`], the reference's 4096). Larger requests are answered
    /// -32600; a larger response is replaced by -32603. When a batch's
    /// responses would not fit together, its largest are replaced, one by
    /// one, by -32603 errors with their ids until the rest fits (one
    /// -32603 with id null if even that is too large).
    #[must_use]
    pub fn max_datagram(mut self, bytes: usize) -> Self {
        self.max_datagram = bytes.max(PROCSLINK_OVERHEAD + 2);
        self
    }

    /// How responses are spelled (default [`Style::Python`], the
    /// reference's bytes).
    #[must_use]
    pub fn style(mut self, style: Style) -> Self {
        self.style = style;
        self
    }

    /// How many threads [`Server::spawn`](crate::peer::Server::spawn) starts, all receiving from the
    /// same socket (default 1).
    #[must_use]
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// The socket's receive buffer size (default: the system's).
    #[must_use]
    pub fn recv_buffer_size(mut self, bytes: usize) -> Self {
        self.recv_buffer = Some(bytes);
        self
    }

    /// Has no effect any more: a server never waits for room in a
    /// client's queue; a reply that cannot be delivered at once is dropped
    /// and counted ([`ServerStats::dropped_replies`](crate::peer::ServerStats::dropped_replies)).
    #[must_use]
    #[deprecated(note = "replies are sent without waiting; a reply that does not fit is dropped")]
    pub fn reply_timeout(mut self, timeout: Duration) -> Self {
        self.reply_timeout = timeout;
        self
    }

    /// How often a stop sends again the wake-ups it could not send at once
    /// (default 250 ms): only when the socket's queue is full, which a stop
    /// normally never meets. Serving threads never wake up on their own.
    #[must_use]
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Drops, unanswered and unrun, a request that waited in the socket's
    /// queue longer than `age` before a serving thread read it (default:
    /// none is dropped), counting it as
    /// [expired](crate::peer::ServerStats::expired). Set it to the callers' timeout
    /// (a [`Client`](crate::peer::Client)'s is 5 s by default): a request older
    /// than that has no caller waiting any more, so running it would only
    /// delay the requests behind it, as a flood does.
    ///
    /// ProcsLink's format carries no deadline or send time, and the kernel
    /// stamps datagrams only through ancillary data this crate does not
    /// read; the age is measured instead with numbered marker datagrams
    /// the server sends itself, one per quarter of `age` while requests
    /// keep arriving: a request read before a marker sent at `t` arrived
    /// before `t`. So the age is underestimated by at most a quarter of
    /// `age`, never overestimated, and costs nothing while it is off.
    ///
    /// While every serving thread is inside a handler nobody reads, so a
    /// thread of the server's own (one per server, running while any
    /// thread is in [`Server::serve`](crate::peer::Server::serve), spawned
    /// or not) sends the markers that date what arrives meanwhile: at most
    /// four unread, the gap between them doubling (a quarter of `age`,
    /// then a half, one, two), since each takes a place in the socket's
    /// queue. Requests that arrive later in a handler running longer than
    /// that are dated by the markers sent once a thread reads again, so
    /// they may pass for younger than they are (never older).
    ///
    /// ```
    /// use std::time::Duration;
    /// use procslink::peer::ServerOptions;
    /// let opts = ServerOptions::new().max_queue_age(Duration::from_secs(5));
    /// assert_eq!(opts.get_max_queue_age(), Some(Duration::from_secs(5)));
    /// ```
    #[must_use]
    pub fn max_queue_age(mut self, age: Duration) -> Self {
        self.max_queue_age = Some(age.max(Duration::from_millis(4)));
        self
    }

    /// The queue age limit, if any.
    pub fn get_max_queue_age(&self) -> Option<Duration> {
        self.max_queue_age
    }

    /// Limits how long a handler may run, on a server run by
    /// [`Server::spawn`](crate::peer::Server::spawn) (default: no limit). When a handler runs longer, a
    /// watchdog answers its caller [`HANDLER_TIMEOUT`](crate::peer::HANDLER_TIMEOUT)
    /// (-32002 "Handler timed out", the limit in `data`) and starts a
    /// serving thread in place of the stuck one, so the server goes on
    /// serving with as many threads; the stuck thread leaves when its
    /// handler returns, its result discarded (or is left detached by a
    /// stop, see [`stop_timeout`](Self::stop_timeout)). Counted as
    /// [`ServerStats::handler_timeouts`](crate::peer::ServerStats::handler_timeouts). In a batch, the answer is the
    /// error for the request that was running, alone. A handler cannot be
    /// interrupted: one that never returns keeps its thread.
    #[must_use]
    pub fn handler_timeout(mut self, limit: Duration) -> Self {
        self.handler_timeout = Some(limit.max(Duration::from_millis(1)));
        self
    }

    /// Runs at most `n` handlers of one sender at a time (default: no
    /// limit); a request beyond that is answered at once
    /// [`SERVER_BUSY`](crate::peer::SERVER_BUSY) (-32003 "Server busy") without
    /// running, counted as [`ServerStats::busy`](crate::peer::ServerStats::busy). A sender is its uid when
    /// the server receives credentials ([`allow_uid`](Self::allow_uid),
    /// [`pass_credentials`](Self::pass_credentials)), so that all the
    /// sockets of one user count together, else its address. With more
    /// serving threads than `n`, a sender that floods the server with slow
    /// requests holds at most `n` threads, and the others keep serving
    /// everyone else.
    #[must_use]
    pub fn max_per_sender(mut self, n: usize) -> Self {
        self.max_per_sender = Some(n.max(1));
        self
    }

    /// How long [`ServerHandle::stop`](crate::peer::ServerHandle::stop) waits for the serving threads
    /// (default 5 s): a thread still running a handler then is left
    /// detached and counted ([`ServerStats::detached`](crate::peer::ServerStats::detached)); it keeps the
    /// socket open until its handler returns.
    #[must_use]
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }
}
