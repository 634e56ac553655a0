//! [`AsyncClient`]: the client's calls as futures on tokio (feature
//! `tokio`).
//!
//! The socket is the blocking client's, made non-blocking and registered
//! with tokio's reactor through [`AsyncFd`]: no thread of its own. Requests
//! are built, and responses checked and routed, by the blocking client's
//! code (`Inner::build`, `Inner::deliver`, its table of pending calls and
//! answer slots); only the waiting differs. One task at a time reads the
//! socket for all (the one holding the reading turn when the socket is
//! readable); an answer for another call goes into that call's slot, and
//! its task is woken (`wait`: sending, reading, waking and cleaning up).

use std::prelude::rust_2024::*;

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

use crate::jsonrpc::{Params as RawParams, RawValue};
use crate::peer::error::CallError;
use crate::peer::hash::FastMap;
use crate::peer::socket::Address;

use super::answer::{Outcome, rpc_error, value_of};
use super::call::{CallParams, Outgoing};
use super::turn::RequestBuffers;
use super::{Client, ClientOptions, ClientStats, Inner};

mod wait;

use wait::{CallState, Parked, Spare, deadline_after, register};

/// How long a timed-out call still waits for an answer that a reader took
/// off the table just before the deadline and is handing over.
const HANDOVER_GRACE: Duration = Duration::from_millis(20);

/// A JSON-RPC client for tokio tasks, on its own socket: the
/// [`Client`]'s calls as futures, any number in flight at once from any
/// number of tasks.
///
/// Requests are numbered 1, 2, 3… and each response goes to the call of
/// its id, after the same checks as the blocking client's (the sender is
/// the peer the call went to, the datagram is a valid response; anything
/// else is dropped and counted in [`ClientStats`]). There is no receiver
/// thread or task: whichever waiting call holds the reading turn when the
/// socket becomes readable reads it for everyone, handing other calls'
/// answers to them and waking their tasks. A lone call reads its own
/// answer.
///
/// Once the client is warm, a call allocates nothing of its own: request
/// buffers and answer slots are kept for the next calls, the tables of
/// waiting calls keep their room, and timeouts are tokio timers inside the
/// call's future. What a call does allocate is what its values need (the
/// params and result [`Value`]s; none for
/// [`call_typed`](Self::call_typed) with plain types or
/// [`call_raw`](Self::call_raw)), a copy of the address for a Unix path,
/// and, when another task read its answer, a copy of the answer's text (as
/// in the blocking client). A reader that empties the socket of other
/// calls' answers ends on an `EAGAIN` that the socket layer reports as an
/// error with a message: two allocations per such read, not per call (a
/// lone call never gets there: it checks the queue with a zero-length
/// peek after its answer).
///
/// On Unix datagrams the kernel queues at most `net.unix.max_dgram_qlen`
/// datagrams for the client (10 by default) and the server drops a reply
/// that does not fit at once, so keep the calls in flight to a Unix server
/// below that or expect some to time out; netlink queues bytes
/// ([`ClientOptions::recv_buffer_size`]).
///
/// The futures borrow the client; share it between spawned tasks in an
/// [`Arc`]. A call's future may be dropped at any await point: its id is
/// forgotten and a late answer is counted as unknown. Must be created
/// inside a tokio runtime with I/O and time enabled.
///
/// ```
/// use std::sync::Arc;
/// use procslink::peer::{AsyncClient, Server, ServerOptions, demo};
/// use serde_json::json;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # if procslink::peer::NetlinkSocket::open().is_err() { return Ok(()) } // no netlink here
/// let server = Server::bind_netlink(demo::methods(), ServerOptions::new())?.spawn()?;
/// let port = server.port().unwrap();
///
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// runtime.block_on(async {
///     let client = Arc::new(AsyncClient::netlink()?);
///     assert_eq!(client.call(port, "hello", json!(["Rust"])).await?, json!("Hello, Rust!"));
///     assert_eq!(client.call_typed::<_, i64>(port, "add", &(2, 40)).await?, 42);
///
///     // Calls from many tasks at once, each answered by its own response.
///     let tasks: Vec<_> = (0..10)
///         .map(|i| {
///             let client = Arc::clone(&client);
///             tokio::spawn(async move { client.call(port, "add", json!([i, 1])).await })
///         })
///         .collect();
///     for (i, task) in tasks.into_iter().enumerate() {
///         assert_eq!(task.await??, json!(i + 1));
///     }
///
///     let err = client.call(port, "nope", json!(null)).await.unwrap_err();
///     assert_eq!(err.rpc().unwrap().code.0, -32601);
///     Ok::<_, Box<dyn std::error::Error>>(())
/// })?;
/// server.stop()?;
/// # Ok(())
/// # }
/// ```
pub struct AsyncClient {
    fd: AsyncFd<Registered>,
    /// The tasks waiting for an answer, by call id.
    parked: Mutex<FastMap<u64, Parked>>,
    /// Slots and request buffers of finished calls, for the next ones.
    spare: Mutex<Spare>,
}

/// The blocking client whose socket is registered with the reactor.
struct Registered(Client);

impl AsRawFd for Registered {
    fn as_raw_fd(&self) -> RawFd {
        self.0.inner.socket.as_fd().as_raw_fd()
    }
}

impl fmt::Debug for AsyncClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncClient")
            .field("address", &self.inner().socket.local())
            .field("options", &self.inner().options)
            .finish()
    }
}

impl AsyncClient {
    /// A client on a new `NETLINK_USERSOCK` socket, with the default
    /// options.
    ///
    /// # Errors
    ///
    /// Opening or configuring the socket failed, or no tokio runtime is
    /// running on this thread.
    pub fn netlink() -> io::Result<AsyncClient> {
        AsyncClient::netlink_with(ClientOptions::default())
    }

    /// A client on a new `NETLINK_USERSOCK` socket.
    ///
    /// # Errors
    ///
    /// As [`netlink`](Self::netlink).
    pub fn netlink_with(options: ClientOptions) -> io::Result<AsyncClient> {
        AsyncClient::register(Client::netlink_with(options)?)
    }

    /// A client on a new autobound Unix datagram socket (ProcsLink
    /// framing), with the default options.
    ///
    /// # Errors
    ///
    /// As [`netlink`](Self::netlink).
    pub fn unix() -> io::Result<AsyncClient> {
        AsyncClient::unix_with(ClientOptions::default())
    }

    /// A client on a new autobound Unix datagram socket.
    ///
    /// # Errors
    ///
    /// As [`netlink`](Self::netlink).
    pub fn unix_with(options: ClientOptions) -> io::Result<AsyncClient> {
        AsyncClient::register(Client::unix_with(options)?)
    }

    /// A client of osbuild's jsoncomm profile (one bare JSON-RPC document
    /// per datagram) on a new autobound Unix datagram socket, with the
    /// default options: see [`Client::jsoncomm`].
    ///
    /// # Errors
    ///
    /// As [`netlink`](Self::netlink).
    pub fn jsoncomm() -> io::Result<AsyncClient> {
        AsyncClient::jsoncomm_with(ClientOptions::default())
    }

    /// [`jsoncomm`](Self::jsoncomm) with `options`.
    ///
    /// # Errors
    ///
    /// As [`netlink`](Self::netlink).
    pub fn jsoncomm_with(options: ClientOptions) -> io::Result<AsyncClient> {
        AsyncClient::register(Client::jsoncomm_with(options)?)
    }

    fn register(client: Client) -> io::Result<AsyncClient> {
        // tokio panics when a descriptor is registered outside a runtime;
        // that common mistake is an error here instead.
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(io::Error::other(
                "no tokio runtime is running on this thread",
            ));
        }
        rustix::io::ioctl_fionbio(client.inner.socket.as_fd(), true)?;
        // As in `AsyncKernelSocket::open_with`: tokio 1.54 deprecates the
        // safe constructor for an `unsafe fn` whose contract (`as_raw_fd`
        // returns the same open descriptor while the `AsyncFd` lives)
        // holds here, as the client owns its socket until dropped; the
        // crate forbids `unsafe`.
        #[allow(deprecated)]
        let fd =
            AsyncFd::with_interest(Registered(client), Interest::READABLE | Interest::WRITABLE)?;
        Ok(AsyncClient {
            fd,
            parked: Mutex::new(FastMap::default()),
            spare: Mutex::new(Spare::default()),
        })
    }

    /// Accepts responses only from a server running as `uid`, as the kernel
    /// reports it (`SCM_CREDENTIALS` on every datagram): see
    /// [`Client::expect_peer_uid`].
    ///
    /// # Errors
    ///
    /// Turning on `SO_PASSCRED` failed.
    pub fn expect_peer_uid(self, uid: u32) -> io::Result<AsyncClient> {
        let AsyncClient { fd, .. } = self;
        let Registered(client) = fd.into_inner();
        AsyncClient::register(client.expect_peer_uid(uid)?)
    }

    fn client(&self) -> &Client {
        &self.fd.get_ref().0
    }

    fn inner(&self) -> &Inner {
        &self.client().inner
    }

    /// The uid responses must come from, if
    /// [`expect_peer_uid`](Self::expect_peer_uid) set one.
    pub fn peer_uid(&self) -> Option<u32> {
        self.client().peer_uid()
    }

    /// The client's own address (where responses come to).
    pub fn address(&self) -> Address {
        self.client().address()
    }

    /// The netlink port id, for a netlink client.
    pub fn port(&self) -> Option<u32> {
        self.client().port()
    }

    /// The counters so far.
    pub fn stats(&self) -> ClientStats {
        self.client().stats()
    }

    /// Calls `method` at `to` with `params` (an array, an object, or
    /// `Value::Null` for none) and awaits the result, at most the client's
    /// timeout ([`ClientOptions::timeout`]).
    ///
    /// # Errors
    ///
    /// As [`Client::call`].
    pub async fn call(
        &self,
        to: impl Into<Address>,
        method: &str,
        params: Value,
    ) -> Result<Value, CallError> {
        self.call_timeout(to, method, params, self.inner().options.timeout)
            .await
    }

    /// [`call`](Self::call) with its own timeout.
    ///
    /// # Errors
    ///
    /// As [`Client::call`].
    pub async fn call_timeout(
        &self,
        to: impl Into<Address>,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, CallError> {
        let to = to.into();
        let out = Outgoing {
            to: &to,
            method,
            params: CallParams::<()>::Value(&params),
            fds: &[],
        };
        self.call_with(out, timeout, |outcome, _| value_of(outcome))
            .await
    }

    /// [`call`](Self::call) passing `fds` with the request and returning
    /// the descriptors that came back with the response (Unix datagrams
    /// only), as [`Client::call_with_fds`].
    ///
    /// # Errors
    ///
    /// As [`Client::call_with_fds`].
    pub async fn call_with_fds(
        &self,
        to: impl Into<Address>,
        method: &str,
        params: Value,
        fds: &[BorrowedFd<'_>],
    ) -> Result<(Value, Vec<OwnedFd>), CallError> {
        let to = to.into();
        let out = Outgoing {
            to: &to,
            method,
            params: CallParams::<()>::Value(&params),
            fds,
        };
        let timeout = self.inner().options.timeout;
        self.call_with(out, timeout, |outcome, fds| {
            value_of(outcome).map(|v| (v, fds))
        })
        .await
    }

    /// Calls with params serialised from `params` and decodes the result
    /// into `R`, straight from and to the JSON text, as
    /// [`Client::call_typed`].
    ///
    /// # Errors
    ///
    /// As [`Client::call_typed`].
    pub async fn call_typed<P: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        to: impl Into<Address>,
        method: &str,
        params: &P,
    ) -> Result<R, CallError> {
        let to = to.into();
        let out = Outgoing {
            to: &to,
            method,
            params: CallParams::Typed(params),
            fds: &[],
        };
        let timeout = self.inner().options.timeout;
        self.call_with(out, timeout, |outcome, _| match outcome {
            Ok(raw) => serde_json::from_str(raw.as_str())
                .map_err(|e| CallError::Protocol(format!("unexpected result: {e}"))),
            Err(object) => Err(rpc_error(&object)),
        })
        .await
    }

    /// Calls with params given as JSON text (`None`: absent) and hands the
    /// result's JSON text to `f`, as [`Client::call_raw`]: borrowed from
    /// the datagram when this call read its own answer, from the copy a
    /// reading call handed over otherwise.
    ///
    /// # Errors
    ///
    /// As [`Client::call`].
    pub async fn call_raw<T>(
        &self,
        to: impl Into<Address>,
        method: &str,
        params: Option<RawParams<'_>>,
        f: impl FnOnce(RawValue<'_>) -> T,
    ) -> Result<T, CallError> {
        let to = to.into();
        let out = Outgoing {
            to: &to,
            method,
            params: CallParams::<()>::Raw(params),
            fds: &[],
        };
        let timeout = self.inner().options.timeout;
        self.call_with(out, timeout, |outcome, _| match outcome {
            Ok(raw) => Ok(f(raw)),
            Err(object) => Err(rpc_error(&object)),
        })
        .await
    }

    /// Sends a notification: no id, no response. Waits for room in the
    /// server's queue at most the client's timeout.
    ///
    /// # Errors
    ///
    /// As [`Client::notify`].
    pub async fn notify(
        &self,
        to: impl Into<Address>,
        method: &str,
        params: Value,
    ) -> Result<(), CallError> {
        self.notify_with_fds(to, method, params, &[]).await
    }

    /// [`notify`](Self::notify) passing `fds` (Unix datagrams only).
    ///
    /// # Errors
    ///
    /// As [`Client::notify`].
    pub async fn notify_with_fds(
        &self,
        to: impl Into<Address>,
        method: &str,
        params: Value,
        fds: &[BorrowedFd<'_>],
    ) -> Result<(), CallError> {
        let to = to.into();
        let out = Outgoing {
            to: &to,
            method,
            params: CallParams::<()>::Value(&params),
            fds,
        };
        let mut buffers = self.take_buffers();
        let deadline = deadline_after(self.inner().options.timeout);
        let sent = match self.inner().build(&mut buffers, &out, None) {
            Ok(len) => {
                let datagram = buffers.datagram.get(..len).unwrap_or_default();
                self.send(&out, datagram, deadline).await
            }
            Err(e) => Err(e),
        };
        self.put_back_buffers(buffers);
        sent
    }

    /// A call: builds and sends its request, then awaits the answer and
    /// turns it into `T` through `convert`; [`CallError::Timeout`] past
    /// `timeout`.
    async fn call_with<P, T, F>(
        &self,
        out: Outgoing<'_, P>,
        timeout: Duration,
        convert: F,
    ) -> Result<T, CallError>
    where
        P: Serialize + ?Sized,
        F: FnOnce(Outcome<'_>, Vec<OwnedFd>) -> Result<T, CallError>,
    {
        let inner = self.inner();
        let deadline = deadline_after(timeout);
        let id = inner.next_id.fetch_add(1, Ordering::Relaxed);
        let mut call = CallState {
            client: self,
            id,
            slot: None,
            buffers: Some(self.take_buffers()),
        };
        let buffers = call.buffers.get_or_insert_with(RequestBuffers::new);
        let len = inner.build(buffers, &out, Some(id))?;
        if inner.closed.load(Ordering::Acquire) {
            return Err(inner.stopped());
        }
        let slot = register(self, id, out.to);
        call.slot = Some(Arc::clone(&slot));
        let datagram = buffers.datagram.get(..len).unwrap_or_default();
        self.send(&out, datagram, deadline).await?;
        let mut convert = Some(convert);
        let answer = poll_fn(|cx| self.poll_answer(id, &slot, cx, &mut convert));
        if let Ok(answer) = tokio::time::timeout_at(deadline, answer).await {
            return answer;
        }
        if inner.pending().remove(&id).is_some() {
            return Err(CallError::Timeout);
        }
        // Gone from the table without an answer yet: a reader took it just
        // now and is putting it into the slot.
        let late = poll_fn(|cx| self.poll_answer(id, &slot, cx, &mut convert));
        tokio::time::timeout(HANDOVER_GRACE, late)
            .await
            .unwrap_or(Err(CallError::Timeout))
    }
}
