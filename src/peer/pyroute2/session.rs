//! One client's session with the broker: the hello, control commands, and
//! requests forwarded to the kernel.

use std::prelude::rust_2024::*;

use super::endpoint::Stream;
use super::server::{Counters, SeenIds, ServerOptions};
use super::wire::{self, EnvelopeWriter, FrameReader, MAX_ENVELOPE_LEN};
use super::{ROUTE_PORT, RemoteError};
use crate::envmsg::{
    ControlAttr, ControlCommand, ControlMessage, ControlRepr, Envelope, EnvelopeFormat,
    EnvelopeIds, EnvelopeRepr, Reassembler, TransportFlags,
};
use crate::kernel::{KernelError, KernelSocket, Protocol, SocketOptions};
use crate::netlink::conversation::{Conversation, Event, Expect};
use crate::netlink::flags::Flags;
use crate::netlink::{Message, Messages, NLMSG_HDRLEN, NlMsgHdr, align};
use zerocopy::IntoBytes;

/// The `ttl` pyroute2's broker gives its answers.
const TTL: u16 = 16;
/// pyroute2's broadcast address, the `dst` of its hello.
const BROADCAST: u32 = 0xffff_ffff;

/// The envelope fields an answer goes back with: pyroute2's broker swaps
/// the ports, answers from the `dst` it was sent to, and keeps the
/// envelope's `seq` and `pid`. pyroute2 0.2.2 (the `Ports` layout)
/// addresses the answer to the client's broker; 0.2.10 and later leave
/// `dst` 0. Clients of either version read both.
#[derive(Copy, Clone, Debug)]
struct ReplyTo {
    seq: u32,
    pid: u32,
    dst: u32,
    src: u32,
    dport: u32,
    sport: u32,
}

impl ReplyTo {
    fn of(env: &Envelope<'_>) -> Self {
        let dst = match env.format() {
            EnvelopeFormat::Ports => env.src(),
            _ => 0,
        };
        ReplyTo {
            seq: env.seq(),
            pid: env.pid(),
            dst,
            src: env.dst(),
            dport: env.sport().unwrap_or(0),
            sport: env.dport().unwrap_or(0),
        }
    }
}

/// One client's session.
pub(crate) struct Session<'c> {
    stream: Stream,
    reader: FrameReader,
    writer: EnvelopeWriter,
    ids: EnvelopeIds,
    seen: SeenIds,
    addr: u32,
    format: EnvelopeFormat,
    options: ServerOptions,
    counters: &'c Counters,
    kernel: Option<KernelSocket>,
    conv: Conversation,
    request: Vec<u8>,
    answer: Vec<u8>,
}

impl<'c> Session<'c> {
    pub(crate) fn new(
        stream: Stream,
        addr: u32,
        options: &ServerOptions,
        counters: &'c Counters,
    ) -> Self {
        Session {
            stream,
            reader: FrameReader::new(MAX_ENVELOPE_LEN),
            writer: EnvelopeWriter::default(),
            ids: EnvelopeIds::random(),
            seen: SeenIds::default(),
            addr,
            format: options.format,
            options: options.clone(),
            counters,
            kernel: None,
            conv: Conversation::new(0),
            request: Vec::new(),
            answer: Vec::new(),
        }
    }

    /// Serves until the client leaves (`Ok`) or its stream breaks.
    pub(crate) fn run(&mut self) -> Result<(), RemoteError> {
        self.hello()?;
        let mut storage = vec![0u8; self.options.max_message];
        let mut reassembler = Reassembler::new(&mut storage);
        let mut frame = Vec::new();
        loop {
            match self.reader.next_frame(&mut self.stream) {
                Ok(f) => {
                    frame.clear();
                    frame.extend_from_slice(f);
                }
                Err(RemoteError::Closed { in_frame: false }) => return Ok(()),
                Err(e) => return Err(e),
            }
            Counters::bump(&self.counters.envelopes);
            if !self.envelope(&frame, &mut reassembler)? {
                Counters::bump(&self.counters.dropped);
            }
        }
    }

    /// Sends the hello: a control `IPRCMD_ACK` with the broker's address.
    fn hello(&mut self) -> Result<(), RemoteError> {
        let repr = EnvelopeRepr {
            header: wire::header(self.format, BROADCAST, 0, 0, 0, 0, self.ids.next_id()),
            flags: TransportFlags::CONTROL | TransportFlags::RESPONSE,
            seq: 0,
            pid: std::process::id(),
        };
        let addr = self.addr;
        self.writer.emit(repr.buffer_len(64), |buf| {
            ControlRepr::new(ControlCommand::ACK).emit_in_envelope(&repr, buf, |w| w.addr(addr))
        })?;
        self.writer.flush_to(&mut self.stream)
    }

    /// Handles one received envelope; false if it was dropped. Errors only
    /// when the stream fails.
    fn envelope(
        &mut self,
        frame: &[u8],
        reassembler: &mut Reassembler<'_>,
    ) -> Result<bool, RemoteError> {
        let Ok(env) = Envelope::parse(frame, self.format) else {
            return Ok(false);
        };
        if let Some(id) = env.id()
            && !self.seen.insert(*id)
        {
            Counters::bump(&self.counters.duplicates);
            return Ok(true);
        }
        if env.dst() != self.addr {
            // pyroute2 forwards these to its uplinks; this broker has none.
            return Ok(false);
        }
        let flags = env.flags();
        if flags.contains(TransportFlags::CONTROL) {
            if flags.contains(TransportFlags::RESPONSE) {
                return Ok(false);
            }
            self.control(&env)?;
            return Ok(true);
        }
        if env.dport().is_some_and(|p| p != ROUTE_PORT) {
            return Ok(false);
        }
        let reply_to = ReplyTo::of(&env);
        let data = match reassembler.push(&env) {
            Ok(Some(data)) => data,
            Ok(None) => return Ok(true),
            Err(_) => return Ok(false),
        };
        let mut all_read = true;
        for msg in Messages::new(data) {
            match msg {
                Ok(msg) => self.forward(&msg, reply_to)?,
                Err(_) => all_read = false,
            }
        }
        Ok(all_read)
    }

    /// Answers a control command: `IPRCMD_DISCOVER` of an rtnetlink target
    /// with [`ROUTE_PORT`]; anything else with `IPRCMD_ERR` and a text.
    fn control(&mut self, env: &Envelope<'_>) -> Result<(), RemoteError> {
        Counters::bump(&self.counters.control);
        let reply_to = ReplyTo::of(env);
        let answer = match env.control() {
            Ok(ctrl) => answer(&ctrl, self.format),
            Err(e) => Err(format!("malformed control message: {e}")),
        };
        let repr = EnvelopeRepr {
            header: wire::header(
                self.format,
                reply_to.dst,
                reply_to.dport,
                reply_to.src,
                reply_to.sport,
                TTL,
                self.ids.next_id(),
            ),
            flags: TransportFlags::CONTROL | TransportFlags::RESPONSE,
            seq: reply_to.seq,
            pid: reply_to.pid,
        };
        let (command, text) = match &answer {
            Ok(_) => (ControlCommand::ACK, ""),
            Err(text) => (ControlCommand::ERR, text.as_str()),
        };
        let mut control = ControlRepr::new(command);
        control.seq = reply_to.seq;
        let len = repr.buffer_len(64usize.saturating_add(text.len()));
        self.writer.emit(len, |buf| {
            control.emit_in_envelope(&repr, buf, |w| match &answer {
                Ok(attrs) => attrs.iter().try_for_each(|a| w.attr(a)),
                Err(text) => w.error(text),
            })
        })?;
        self.writer.flush_to(&mut self.stream)
    }

    /// Sends one request to the kernel and its answers back to the client.
    fn forward(&mut self, msg: &Message<'_>, reply_to: ReplyTo) -> Result<(), RemoteError> {
        Counters::bump(&self.counters.requests);
        if self.kernel.is_none() {
            let options = SocketOptions::new().recv_timeout(Some(self.options.kernel_timeout));
            self.kernel = Some(KernelSocket::open_with(Protocol::ROUTE, options)?);
        }
        let Session {
            stream,
            writer,
            ids,
            kernel: Some(kernel),
            conv,
            request,
            answer,
            format,
            counters,
            ..
        } = self
        else {
            return Ok(());
        };
        let expect = expectation(msg);
        conv.set_port(kernel.port());
        let seq = conv.begin(expect);
        request.clear();
        append_message(request, msg, seq, kernel.port());
        kernel.send(request)?;
        let repr = EnvelopeRepr {
            header: wire::header(
                *format,
                reply_to.dst,
                reply_to.dport,
                reply_to.src,
                reply_to.sport,
                TTL,
                [0; 16],
            ),
            flags: TransportFlags::empty(),
            seq: reply_to.seq,
            pid: reply_to.pid,
        };
        while !conv.is_finished() {
            let datagram = match kernel.recv() {
                Ok(d) => d,
                // A request the kernel does not answer (no NLM_F_ACK asked
                // for) ends here; so does one it is too slow for.
                Err(KernelError::Timeout) => break,
                Err(KernelError::EventsLost) => continue,
                Err(e) => return Err(e.into()),
            };
            answer.clear();
            for m in Messages::new(datagram) {
                let Ok(m) = m else { break };
                if let Event::Skipped(_) = conv.classify(&m) {
                    continue;
                }
                append_message(answer, &m, msg.seq(), msg.pid());
            }
            if !answer.is_empty() {
                writer.push_data(&repr, ids, answer)?;
                Counters::bump(&counters.replies);
                writer.flush_to(stream)?;
            }
        }
        Ok(())
    }
}

/// Appends `msg` with `seq` and `pid` in its header, padded to 4 bytes.
fn append_message(out: &mut Vec<u8>, msg: &Message<'_>, seq: u32, pid: u32) {
    let h = msg.header();
    let header = NlMsgHdr::new(h.len(), h.message_type().0, h.flags().bits(), seq, pid);
    let at = out.len();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(msg.payload());
    out.resize(
        at.saturating_add(align(NLMSG_HDRLEN + msg.payload().len())),
        0,
    );
}

/// How the kernel's answer to `msg` ends.
fn expectation(msg: &Message<'_>) -> Expect {
    let flags = msg.flags();
    let ty = msg.message_type().0;
    if flags.contains(Flags::ACK) {
        Expect::Ack
    } else if ty >= 16 && ty % 4 == 2 && flags.bits() & 0x300 != 0 {
        // An rtnetlink GET (RTM_GETLINK 18, RTM_GETADDR 22, ...) with
        // NLM_F_ROOT or NLM_F_MATCH: the kernel dumps.
        Expect::Dump
    } else {
        Expect::Reply
    }
}

/// The attributes of the `IPRCMD_ACK` answering `ctrl`, or the text of its
/// `IPRCMD_ERR`. pyroute2 0.2.10+ answers `IPRCMD_DISCOVER` with the port
/// and `IPR_ATTR_SOURCE` (the command answered); 0.2.2 (the `Ports`
/// layout) with the port alone.
fn answer(
    ctrl: &ControlMessage<'_>,
    format: EnvelopeFormat,
) -> Result<Vec<ControlAttr<'static>>, String> {
    let command = ctrl.command();
    if command != ControlCommand::DISCOVER {
        return Err(match command.name() {
            Some(name) => format!("{name} is not supported by this broker"),
            None => format!("unknown control command {}", command.0),
        });
    }
    let mut host = None;
    for attr in ctrl.attrs() {
        match attr {
            Ok(ControlAttr::Host(h)) => host = Some(h),
            Ok(_) => {}
            Err(e) => return Err(format!("malformed control attribute: {e}")),
        }
    }
    let Some(host) = host else {
        return Err("IPRCMD_DISCOVER without IPR_ATTR_HOST".to_owned());
    };
    if !is_rtnetlink_target(host) {
        return Err(format!(
            "no target {host:?}: this broker serves rtnetlink (/0/GROUPS) only"
        ));
    }
    Ok(match format {
        EnvelopeFormat::Ports => vec![ControlAttr::Addr(ROUTE_PORT)],
        _ => vec![
            ControlAttr::Addr(ROUTE_PORT),
            ControlAttr::Source(u32::from(command.0)),
        ],
    })
}

/// Netlink family 0 (`NETLINK_ROUTE`) with any groups, as pyroute2's
/// `IPRoute` discovers it: `/0/GROUPS` (0.2.10+) or `netlink://0:GROUPS`
/// (0.2.2).
fn is_rtnetlink_target(host: &str) -> bool {
    host.strip_prefix("/0/")
        .or_else(|| host.strip_prefix("netlink://0:"))
        .is_some_and(|groups| !groups.is_empty() && groups.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtnetlink_targets() {
        assert!(is_rtnetlink_target("/0/1373"));
        assert!(is_rtnetlink_target("/0/0"));
        assert!(is_rtnetlink_target("netlink://0:1373"));
        assert!(!is_rtnetlink_target("netlink://16:0"));
        assert!(!is_rtnetlink_target("/16/0"));
        assert!(!is_rtnetlink_target("/0/"));
        assert!(!is_rtnetlink_target("/0/1x"));
        assert!(!is_rtnetlink_target(""));
    }
}
