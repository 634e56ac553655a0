//! The client: rtnetlink requests to a remote host's kernel through its
//! pyroute2 broker.

use std::prelude::rust_2024::*;

use std::time::Duration;

use super::endpoint::{ByteStream, Endpoint, Stream};
use super::wire::{self, EnvelopeWriter, FrameReader, MAX_ENVELOPE_LEN};
use super::{IPROUTE_TARGET, RemoteError, random_u32};
use crate::envmsg::{
    ControlAttr, ControlCommand, ControlRepr, Envelope, EnvelopeFormat, EnvelopeIds, EnvelopeRepr,
    Reassembler, TransportFlags,
};
use crate::kernel::{Ack, Refusal};
use crate::netlink::conversation::{Conversation, Event, Expect};
use crate::netlink::flags::{Flags, GetFlags};
use crate::netlink::{Message, Messages, NlMsgHdr};
use zerocopy::FromBytes;

/// The `ttl` pyroute2 gives the envelopes it sends.
const TTL: u16 = 16;

/// How a [`RemoteClient`] talks to its broker.
///
/// ```
/// use std::time::Duration;
/// use procslink::envmsg::EnvelopeFormat;
/// use procslink::peer::pyroute2::ClientOptions;
///
/// let options = ClientOptions::new()
///     .timeout(Some(Duration::from_secs(2)))
///     .format(EnvelopeFormat::Ports); // a pyroute2 0.2.2 broker
/// assert_eq!(options.get_format(), EnvelopeFormat::Ports);
/// ```
#[derive(Clone, Debug)]
pub struct ClientOptions {
    timeout: Option<Duration>,
    format: EnvelopeFormat,
    target: String,
    max_message: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions::new()
    }
}

impl ClientOptions {
    /// Answers within 10 s, pyroute2 0.2.10+'s envelopes
    /// ([`EnvelopeFormat::PortsId`]), the target [`IPROUTE_TARGET`], and
    /// reassembled messages up to 16 MiB.
    pub fn new() -> Self {
        ClientOptions {
            timeout: Some(Duration::from_secs(10)),
            format: EnvelopeFormat::PortsId,
            target: IPROUTE_TARGET.to_owned(),
            max_message: 16 << 20,
        }
    }

    /// How long to wait for each envelope from the broker (`None`: for
    /// ever).
    #[must_use]
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `envmsghdr` layout the broker speaks.
    #[must_use]
    pub fn format(mut self, format: EnvelopeFormat) -> Self {
        self.format = format;
        self
    }

    /// The layout set.
    pub fn get_format(&self) -> EnvelopeFormat {
        self.format
    }

    /// The target to discover on the broker: `/FAMILY/GROUPS` for pyroute2
    /// 0.2.10+ ([`IPROUTE_TARGET`]), `netlink://FAMILY:GROUPS` for 0.2.2
    /// (`netlink://0:1373`, with [`EnvelopeFormat::Ports`]).
    #[must_use]
    pub fn target(mut self, target: &str) -> Self {
        self.target = target.to_owned();
        self
    }

    /// The largest fragmented message to reassemble (the buffer is
    /// reserved when connecting; the system commits its pages only as they
    /// are written).
    #[must_use]
    pub fn max_message(mut self, bytes: usize) -> Self {
        self.max_message = bytes;
        self
    }
}

/// A connection to a pyroute2 broker (pyroute2 0.2.x's `IPRoute.serve`, or
/// this crate's [`RemoteServer`](super::RemoteServer)), running rtnetlink
/// requests on the remote host's kernel.
///
/// [`RemoteClient::connect`] reads the broker's hello, discovers the
/// rtnetlink target and keeps the port it is given; then
/// [`RemoteClient::dump`] and [`RemoteClient::request`] work as
/// [`KernelSocket`](crate::kernel::KernelSocket)'s do: the request is one
/// netlink message built by the caller, and the client sets its flags and
/// sequence number. Replies are matched to the request with a
/// [`Conversation`], so late replies to an abandoned request are skipped.
///
/// See the [module docs](super) for an example.
#[derive(Debug)]
pub struct RemoteClient {
    endpoint: Option<Endpoint>,
    stream: Stream,
    reader: FrameReader,
    writer: EnvelopeWriter,
    ids: EnvelopeIds,
    format: EnvelopeFormat,
    server_addr: u32,
    addr: u32,
    port: u32,
    pid: u32,
    nonce: u32,
    conv: Conversation,
    request: Vec<u8>,
    reassembly: Vec<u8>,
}

/// How one exchange ended.
enum Outcome {
    Done { interrupted: bool },
    Acked(Ack),
    Replied,
}

impl RemoteClient {
    /// Connects to the broker at `url` (`tcp://HOST:PORT` or
    /// `unix://PATH`) with [`ClientOptions::new`].
    pub fn connect(url: &str) -> Result<Self, RemoteError> {
        Self::connect_with(url, ClientOptions::new())
    }

    /// Connects with `options`: reads the broker's hello (its address),
    /// then discovers the target and keeps the port it is answered with.
    pub fn connect_with(url: &str, options: ClientOptions) -> Result<Self, RemoteError> {
        let endpoint = Endpoint::parse(url)?;
        let stream = endpoint.connect()?;
        stream
            .set_timeouts(options.timeout)
            .map_err(|e| RemoteError::io("setting the stream's timeouts", e))?;
        Self::handshake(stream, Some(endpoint), options)
    }

    /// Runs the session over a stream already connected to a broker (the
    /// stream's own timeouts apply; [`ClientOptions::timeout`] does not).
    ///
    /// ```
    /// use procslink::peer::pyroute2::{ClientOptions, RemoteClient, RemoteError};
    ///
    /// // A "broker" that sends nothing and hangs up.
    /// let silent = std::io::Cursor::new(Vec::new());
    /// let err = RemoteClient::over(silent, ClientOptions::new()).unwrap_err();
    /// assert!(matches!(err, RemoteError::Closed { in_frame: false }));
    /// ```
    pub fn over(
        stream: impl ByteStream + 'static,
        options: ClientOptions,
    ) -> Result<Self, RemoteError> {
        Self::handshake(Stream::Other(Box::new(stream)), None, options)
    }

    fn handshake(
        stream: Stream,
        endpoint: Option<Endpoint>,
        options: ClientOptions,
    ) -> Result<Self, RemoteError> {
        let mut client = RemoteClient {
            endpoint,
            stream,
            reader: FrameReader::new(MAX_ENVELOPE_LEN),
            writer: EnvelopeWriter::default(),
            ids: EnvelopeIds::random(),
            format: options.format,
            server_addr: 0,
            addr: random_u32(),
            port: 0,
            pid: std::process::id(),
            nonce: 0,
            conv: Conversation::new(0),
            request: Vec::new(),
            reassembly: vec![0; options.max_message],
        };
        client.server_addr = client.hello()?;
        client.port = client.discover(&options.target)?;
        Ok(client)
    }

    /// The broker's address (the `IPR_ATTR_ADDR` of its hello).
    pub fn broker_addr(&self) -> u32 {
        self.server_addr
    }

    /// The port the broker gave the target (pyroute2: 255 for the first).
    pub fn port(&self) -> u32 {
        self.port
    }

    /// Where the broker is (`None` for a client made by
    /// [`RemoteClient::over`]).
    pub fn endpoint(&self) -> Option<&Endpoint> {
        self.endpoint.as_ref()
    }

    /// Reads the broker's hello: a control `IPRCMD_ACK` with its address.
    fn hello(&mut self) -> Result<u32, RemoteError> {
        let frame = self.reader.next_frame(&mut self.stream)?;
        let env = Envelope::parse(frame, self.format).map_err(RemoteError::Malformed)?;
        let expected = "the broker's hello (a control IPRCMD_ACK with IPR_ATTR_ADDR)";
        if !env.is_control() {
            return Err(RemoteError::Protocol {
                expected,
                found: env.to_string(),
            });
        }
        let ctrl = env.control().map_err(RemoteError::Malformed)?;
        if ctrl.command() != ControlCommand::ACK {
            return Err(RemoteError::Protocol {
                expected,
                found: ctrl.to_string(),
            });
        }
        for attr in ctrl.attrs() {
            if let ControlAttr::Addr(addr) = attr.map_err(RemoteError::Malformed)? {
                return Ok(addr);
            }
        }
        Err(RemoteError::Protocol {
            expected,
            found: "an IPRCMD_ACK without IPR_ATTR_ADDR".to_owned(),
        })
    }

    /// Sends `IPRCMD_DISCOVER` for `target` and returns the port in the
    /// broker's answer.
    fn discover(&mut self, target: &str) -> Result<u32, RemoteError> {
        let nonce = self.next_nonce();
        let repr = EnvelopeRepr {
            header: wire::header(
                self.format,
                self.server_addr,
                0,
                self.addr,
                0,
                TTL,
                self.ids.next_id(),
            ),
            flags: TransportFlags::CONTROL,
            seq: nonce,
            pid: self.pid,
        };
        let len = repr.buffer_len(64usize.saturating_add(target.len()));
        self.writer.emit(len, |buf| {
            ControlRepr::new(ControlCommand::DISCOVER)
                .emit_in_envelope(&repr, buf, |w| w.host(target))
        })?;
        self.writer.flush_to(&mut self.stream)?;
        loop {
            let frame = self.reader.next_frame(&mut self.stream)?;
            let env = Envelope::parse(frame, self.format).map_err(RemoteError::Malformed)?;
            if !env.is_control() || env.seq() != nonce {
                continue;
            }
            let ctrl = env.control().map_err(RemoteError::Malformed)?;
            let mut addr = None;
            let mut error = None;
            for attr in ctrl.attrs() {
                match attr.map_err(RemoteError::Malformed)? {
                    ControlAttr::Addr(a) => addr = Some(a),
                    ControlAttr::Error(text) => error = Some(text.to_owned()),
                    _ => {}
                }
            }
            return match (ctrl.command(), addr) {
                (ControlCommand::ACK, Some(port)) => Ok(port),
                (ControlCommand::ERR, _) => Err(RemoteError::ControlRefused {
                    command: ControlCommand::DISCOVER,
                    text: error.unwrap_or_default(),
                }),
                _ => Err(RemoteError::Protocol {
                    expected: "IPRCMD_ACK with IPR_ATTR_ADDR for IPRCMD_DISCOVER",
                    found: ctrl.to_string(),
                }),
            };
        }
    }

    fn next_nonce(&mut self) -> u32 {
        self.nonce = self.nonce.wrapping_add(1);
        self.nonce
    }

    /// Runs a dump on the remote kernel: sends `request` (one netlink
    /// message, e.g. `RTM_GETLINK` with an `ifinfomsg`) with
    /// `NLM_F_REQUEST | NLM_F_DUMP` and the next sequence number, and hands
    /// every part of the dump to `on_message`. Returns how many there were.
    ///
    /// Errors: the remote kernel's refusal ([`RemoteError::Refused`]), a
    /// dump changed while taken ([`RemoteError::DumpInterrupted`], after
    /// every part was handed over), and the stream's errors.
    pub fn dump(
        &mut self,
        request: &[u8],
        mut on_message: impl FnMut(&Message<'_>),
    ) -> Result<u32, RemoteError> {
        let flags = Flags::REQUEST | Flags::from(GetFlags::DUMP);
        match self.exchange(request, flags, Expect::Dump, &mut on_message)? {
            Outcome::Done { interrupted: true } => Err(RemoteError::DumpInterrupted),
            _ => Ok(self.conv.replies()),
        }
    }

    /// Sends `request` with `NLM_F_REQUEST | NLM_F_ACK` and waits for the
    /// remote kernel's acknowledgement.
    pub fn request(&mut self, request: &[u8]) -> Result<Ack, RemoteError> {
        self.request_with(request, |_| {})
    }

    /// [`RemoteClient::request`], handing each reply that comes before the
    /// acknowledgement to `on_reply`.
    pub fn request_with(
        &mut self,
        request: &[u8],
        mut on_reply: impl FnMut(&Message<'_>),
    ) -> Result<Ack, RemoteError> {
        let flags = Flags::REQUEST | Flags::ACK;
        match self.exchange(request, flags, Expect::Ack, &mut on_reply)? {
            Outcome::Acked(ack) => Ok(ack),
            // An ack-expecting conversation ends only with an ack or an
            // error; this is the same ack without its text.
            _ => Ok(Ack::new(
                self.conv.seq(),
                self.conv.replies(),
                &Default::default(),
            )),
        }
    }

    fn exchange(
        &mut self,
        request: &[u8],
        flags: Flags,
        expect: Expect,
        on_reply: &mut dyn FnMut(&Message<'_>),
    ) -> Result<Outcome, RemoteError> {
        let msg = Message::parse(request).map_err(RemoteError::InvalidRequest)?;
        let len = msg.header().len() as usize;
        let seq = self.conv.begin(expect);
        self.request.clear();
        self.request
            .extend_from_slice(request.get(..len).unwrap_or(request));
        if let Ok((header, _)) = NlMsgHdr::mut_from_prefix(&mut self.request[..]) {
            header.set_flags(msg.flags() | flags);
            header.set_seq(seq);
        }
        let nonce = self.next_nonce();
        let repr = EnvelopeRepr {
            header: wire::header(
                self.format,
                self.server_addr,
                self.port,
                self.addr,
                0,
                TTL,
                [0; 16],
            ),
            flags: TransportFlags::empty(),
            seq: nonce,
            pid: self.pid,
        };
        let sent = self
            .writer
            .push_data(&repr, &mut self.ids, &self.request)
            .and_then(|()| self.writer.flush_to(&mut self.stream));
        if let Err(e) = sent {
            self.conv.abandon();
            return Err(e);
        }
        let result = self.receive(seq, on_reply);
        if result.is_err() {
            self.conv.abandon();
        }
        result
    }

    /// Reads envelopes until the conversation ends.
    fn receive(
        &mut self,
        seq: u32,
        on_reply: &mut dyn FnMut(&Message<'_>),
    ) -> Result<Outcome, RemoteError> {
        let mut reassembler = Reassembler::new(&mut self.reassembly);
        loop {
            let frame = self.reader.next_frame(&mut self.stream)?;
            let env = Envelope::parse(frame, self.format).map_err(RemoteError::Malformed)?;
            if env.flags().contains(TransportFlags::EXCEPTION) {
                return Err(RemoteError::Protocol {
                    expected: "the remote kernel's replies",
                    found: format!(
                        "an exception: {}",
                        crate::netlink::display::Escaped(env.data())
                    ),
                });
            }
            if env.is_control() {
                // No control command is outstanding: not for this request.
                continue;
            }
            let Some(data) = reassembler.push(&env).map_err(RemoteError::Malformed)? else {
                continue;
            };
            for msg in Messages::new(data) {
                let msg = msg.map_err(RemoteError::Malformed)?;
                match self.conv.classify(&msg) {
                    Event::Reply(m) => {
                        on_reply(&m);
                        if self.conv.is_finished() {
                            return Ok(Outcome::Replied);
                        }
                    }
                    Event::Done(done) => {
                        if self.conv.is_finished() {
                            return Ok(Outcome::Done {
                                interrupted: done.is_interrupted(),
                            });
                        }
                    }
                    Event::Ack(e) => {
                        return Ok(Outcome::Acked(Ack::new(
                            seq,
                            self.conv.replies(),
                            e.ext_ack(),
                        )));
                    }
                    Event::Error(failure) => {
                        return Err(RemoteError::Refused(Refusal::new(seq, &failure)));
                    }
                    Event::Skipped(_) => {}
                }
            }
        }
    }
}
