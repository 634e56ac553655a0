//! Envelopes over a stream: cutting frames out of what arrives, and
//! writing data as envelopes (split at message boundaries, fragmented when
//! one message is too large for an envelope).

use std::prelude::rust_2024::*;

use std::io::{Read, Write};

use super::RemoteError;
use super::endpoint::Stream;
use crate::envmsg::{
    EnvHeader, EnvMsgHdr, EnvMsgHdrId, EnvMsgHdrPorts, EnvelopeFormat, EnvelopeIds, EnvelopeRepr,
    Splitter,
};
use crate::framing::Framing;
use crate::framing::netlink::{NetlinkFraming, Padding};
use crate::netlink::{Messages, NLA_MAX_PAYLOAD, NLMSG_HDRLEN, align};
use crate::{Error, ErrorKind};

/// The largest envelope either side reads: `nla_len` is a u16, so the data
/// attribute is at most 65535 bytes; with the headers and a fragment
/// header an envelope stays under 66 000 bytes. Anything longer is refused
/// as soon as its length is read.
pub const MAX_ENVELOPE_LEN: usize = 1 << 17;

/// How much is asked of the stream at once.
const READ_CHUNK: usize = 1 << 16;

/// pyroute2 reads a stream's envelopes back to back, by `nlmsg_len`, with
/// no padding between them (every envelope it writes is a multiple of 4
/// long anyway).
fn framing() -> NetlinkFraming {
    NetlinkFraming::kernel().with_padding(Padding::None)
}

/// Cuts netlink frames (envelopes) out of a stream.
#[derive(Debug)]
pub(crate) struct FrameReader {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Stream offset of `buf[start]`, for error offsets.
    offset: usize,
    max_frame: usize,
}

impl FrameReader {
    pub(crate) fn new(max_frame: usize) -> Self {
        FrameReader {
            buf: Vec::new(),
            start: 0,
            end: 0,
            offset: 0,
            max_frame,
        }
    }

    /// Reads until one whole frame is buffered and returns it. Errors are
    /// fatal for the stream (its framing is lost).
    pub(crate) fn next_frame(&mut self, stream: &mut Stream) -> Result<&[u8], RemoteError> {
        loop {
            let avail = self.buf.get(self.start..self.end).unwrap_or_default();
            let want = match framing().frames(avail, self.max_frame).next() {
                Some(Ok(frame)) => {
                    let n = frame.bytes().len();
                    let at = self.start;
                    self.start = self.start.saturating_add(n);
                    self.offset = self.offset.saturating_add(n);
                    return Ok(self.buf.get(at..at.saturating_add(n)).unwrap_or_default());
                }
                Some(Err(e)) => match e.kind() {
                    ErrorKind::Truncated { needed, .. } => needed,
                    _ => {
                        let at = self.offset.saturating_add(e.offset());
                        return Err(RemoteError::Malformed(Error::new(e.kind(), at)));
                    }
                },
                None => NLMSG_HDRLEN,
            };
            self.fill(stream, want)?;
        }
    }

    /// Reads at least one more byte, with room for a frame of `want` bytes.
    fn fill(&mut self, stream: &mut Stream, want: usize) -> Result<(), RemoteError> {
        if self.start > 0 && self.start <= self.end && self.end <= self.buf.len() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let size = want.max(READ_CHUNK).max(self.end.saturating_add(1));
        if self.buf.len() < size {
            self.buf.resize(size, 0);
        }
        let spare = self.buf.get_mut(self.end..).unwrap_or_default();
        loop {
            match stream.read(spare) {
                Ok(0) => {
                    return Err(RemoteError::Closed {
                        in_frame: self.end > 0,
                    });
                }
                Ok(n) => {
                    self.end = self.end.saturating_add(n);
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(RemoteError::io("reading from the peer", e)),
            }
        }
    }
}

/// An `envmsghdr` of `format` with these fields (the narrower layouts drop
/// what they have no room for).
pub(crate) fn header(
    format: EnvelopeFormat,
    dst: u32,
    dport: u32,
    src: u32,
    sport: u32,
    ttl: u16,
    id: [u8; 16],
) -> EnvHeader {
    match format {
        EnvelopeFormat::Basic => EnvHeader::Basic(EnvMsgHdr::new(dst, src)),
        EnvelopeFormat::Ports => EnvHeader::Ports(EnvMsgHdrPorts::new(dst, dport, src, sport, ttl)),
        _ => EnvHeader::PortsId(EnvMsgHdrId::new(dst, dport, src, sport, ttl, id)),
    }
}

/// Writes envelopes into one buffer, then onto a stream in one write.
#[derive(Debug, Default)]
pub(crate) struct EnvelopeWriter {
    out: Vec<u8>,
    message_id: u32,
}

impl EnvelopeWriter {
    /// Appends `data` as envelopes made from `repr`, each with an id of its
    /// own: as few envelopes as the data needs, cut between netlink
    /// messages; a single message over 65531 bytes is fragmented.
    pub(crate) fn push_data(
        &mut self,
        repr: &EnvelopeRepr,
        ids: &mut EnvelopeIds,
        data: &[u8],
    ) -> Result<(), RemoteError> {
        let mut chunk_start = 0;
        let mut pos = 0;
        for msg in Messages::new(data) {
            let Ok(msg) = msg else { break };
            let end = msg
                .offset()
                .saturating_add(align(msg.header().len() as usize))
                .min(data.len());
            if end.saturating_sub(chunk_start) > NLA_MAX_PAYLOAD && pos > chunk_start {
                self.push_chunk(repr, ids, data.get(chunk_start..pos).unwrap_or_default())?;
                chunk_start = pos;
            }
            pos = end;
        }
        self.push_chunk(repr, ids, data.get(chunk_start..).unwrap_or_default())
    }

    fn push_chunk(
        &mut self,
        repr: &EnvelopeRepr,
        ids: &mut EnvelopeIds,
        chunk: &[u8],
    ) -> Result<(), RemoteError> {
        if chunk.len() <= NLA_MAX_PAYLOAD {
            let repr = repr.with_id(ids.next_id());
            return self.emit(repr.buffer_len(chunk.len()), |buf| repr.emit(chunk, buf));
        }
        self.message_id = self.message_id.wrapping_add(1);
        let mut split = Splitter::new(chunk, *repr, self.message_id, NLA_MAX_PAYLOAD & !3)
            .map_err(RemoteError::Malformed)?;
        split.take_ids(ids);
        for i in 0..split.count() {
            let len = split.fragment_buffer_len(i).unwrap_or(0);
            self.emit(len, |buf| split.write_fragment(i, buf))?;
        }
        Ok(())
    }

    /// Appends `len` bytes written by `write`.
    pub(crate) fn emit(
        &mut self,
        len: usize,
        write: impl FnOnce(&mut [u8]) -> Result<usize, Error>,
    ) -> Result<(), RemoteError> {
        let at = self.out.len();
        self.out.resize(at.saturating_add(len), 0);
        let written =
            write(self.out.get_mut(at..).unwrap_or_default()).map_err(RemoteError::Malformed)?;
        self.out.truncate(at.saturating_add(written));
        Ok(())
    }

    /// Writes everything appended onto `stream` and empties the buffer.
    pub(crate) fn flush_to(&mut self, stream: &mut Stream) -> Result<(), RemoteError> {
        let result = stream
            .write_all(&self.out)
            .map_err(|e| RemoteError::io("writing to the peer", e));
        self.out.clear();
        result
    }
}
