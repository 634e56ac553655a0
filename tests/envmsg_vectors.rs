//! Byte-exact vectors for the pyroute2 transport, written out by hand from
//! the layouts in the `envmsg` module docs (host byte order throughout).

use procslink::envmsg::{
    CONTROL_FLAGS, ControlAttr, ControlCommand, ControlRepr, EnvHeader, EnvMsgHdr, EnvMsgHdrId,
    EnvMsgHdrPorts, Envelope, EnvelopeFormat, EnvelopeIds, EnvelopeRepr, Reassembler, Splitter,
    TransportFlags, crc32,
};
use procslink::{ErrorKind, FragmentViolation};

/// Accumulates expected bytes field by field.
struct Expect(Vec<u8>);

impl Expect {
    fn new() -> Self {
        Expect(Vec::new())
    }
    fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_ne_bytes());
        self
    }
    fn u16(mut self, v: u16) -> Self {
        self.0.extend_from_slice(&v.to_ne_bytes());
        self
    }
    fn u8(mut self, v: u8) -> Self {
        self.0.push(v);
        self
    }
    fn bytes(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    fn nlmsghdr(self, len: u32, ty: u16, flags: u16, seq: u32, pid: u32) -> Self {
        self.u32(len).u16(ty).u16(flags).u32(seq).u32(pid)
    }
    fn nla(self, len: u16, ty: u16) -> Self {
        self.u16(len).u16(ty)
    }
}

fn emit(repr: &EnvelopeRepr, data: &[u8]) -> Vec<u8> {
    let mut buf = vec![0xeeu8; 256];
    let len = repr.emit(data, &mut buf).unwrap();
    assert_eq!(len, repr.buffer_len(data.len()));
    buf.truncate(len);
    buf
}

#[test]
fn basic_envelope() {
    // nlmsg_len = 16 (nlmsghdr) + 8 (envmsghdr) + align(4 + 5) = 16 + 8 + 12 = 36
    // nla_len   = 4 + 5 = 9, then 3 bytes of padding
    let expected = Expect::new()
        .nlmsghdr(36, 0xf, 0x4, 7, 100)
        .u32(3) // dst
        .u32(4) // src
        .nla(9, 0)
        .bytes(b"hello\0\0\0")
        .0;
    let mut repr = EnvelopeRepr::new(EnvHeader::Basic(EnvMsgHdr::new(3, 4)));
    repr.flags = TransportFlags::RESPONSE;
    repr.seq = 7;
    repr.pid = 100;
    let bytes = emit(&repr, b"hello");
    assert_eq!(bytes, expected);

    let env = Envelope::parse(&bytes, EnvelopeFormat::Basic).unwrap();
    assert_eq!(env.flags(), TransportFlags::RESPONSE);
    assert_eq!((env.seq(), env.pid(), env.dst(), env.src()), (7, 100, 3, 4));
    assert_eq!(
        (env.dport(), env.sport(), env.ttl(), env.id()),
        (None, None, None, None)
    );
    assert_eq!(env.data(), b"hello");
    // data starts after 16 + 8 + 4 bytes
    assert_eq!(env.data_offset(), 28);
    assert!(env.fragment().is_none());
    assert_eq!(env.repr(), repr);
}

#[test]
fn ports_envelope() {
    // nlmsg_len = 16 + 20 + align(4 + 4) = 44; nla_len = 8
    let expected = Expect::new()
        .nlmsghdr(44, 0xf, 0x2, 0, 0)
        .u32(1) // dst
        .u32(2) // dport
        .u32(3) // src
        .u32(4) // sport
        .u16(64) // ttl
        .u16(0) // reserved
        .nla(8, 0)
        .bytes(b"abcd")
        .0;
    let mut repr = EnvelopeRepr::new(EnvHeader::Ports(EnvMsgHdrPorts::new(1, 2, 3, 4, 64)));
    repr.flags = TransportFlags::DGRAM;
    let bytes = emit(&repr, b"abcd");
    assert_eq!(bytes, expected);

    let env = Envelope::parse(&bytes, EnvelopeFormat::Ports).unwrap();
    assert_eq!((env.dst(), env.src()), (1, 3));
    assert_eq!(
        (env.dport(), env.sport(), env.ttl()),
        (Some(2), Some(4), Some(64))
    );
    assert_eq!(env.id(), None);
    assert_eq!(env.data(), b"abcd");
    assert_eq!(env.repr(), repr);
}

#[test]
fn ports_id_envelope_with_empty_data() {
    let id: [u8; 16] = core::array::from_fn(|i| 0x10 + i as u8);
    // nlmsg_len = 16 + 36 + align(4 + 0) = 56; nla_len = 4
    let expected = Expect::new()
        .nlmsghdr(56, 0xf, 0x18, 0xdead_beef, 1)
        .u32(10)
        .u32(11)
        .u32(12)
        .u32(13)
        .u16(1)
        .u16(0)
        .bytes(&id)
        .nla(4, 0)
        .0;
    let mut repr = EnvelopeRepr::new(EnvHeader::PortsId(EnvMsgHdrId::new(10, 11, 12, 13, 1, id)));
    repr.flags = TransportFlags::NOOP | TransportFlags::EXCEPTION;
    repr.seq = 0xdead_beef;
    repr.pid = 1;
    let bytes = emit(&repr, b"");
    assert_eq!(bytes, expected);

    let env = Envelope::parse(&bytes, EnvelopeFormat::PortsId).unwrap();
    assert_eq!(env.id(), Some(&id));
    assert_eq!(env.ttl(), Some(1));
    assert_eq!(env.data(), b"");
    assert_eq!(env.repr(), repr);
}

#[test]
fn connect_control_message_in_envelope() {
    // Inner control message:
    //   nlmsghdr 16 + genlmsghdr 4
    //   + HOST: nla_len = 4 + 20 ("tcp://localhost:9824") + 1 (NUL) = 25, padded to 28
    //   + KEY:  nla_len = 4 + 12 = 16
    //   inner nlmsg_len = 16 + 4 + 28 + 16 = 64
    // Envelope: nla_len = 4 + 64 = 68; nlmsg_len = 16 + 8 + 68 = 92
    let host = b"tcp://localhost:9824";
    assert_eq!(host.len(), 20);
    let expected = Expect::new()
        .nlmsghdr(92, 0xf, 0x1, 1, 0) // flags: NLT_CONTROL
        .u32(0) // dst
        .u32(0) // src
        .nla(68, 0)
        .nlmsghdr(64, 0xe, 0x1, 2, 0) // NLMSG_CONTROL, flags 1
        .u8(7) // cmd IPRCMD_CONNECT
        .u8(1) // version
        .u16(0) // reserved
        .nla(25, 1) // IPR_ATTR_HOST
        .bytes(host)
        .bytes(&[0, 0, 0, 0]) // NUL + 3 pad
        .nla(16, 8) // IPR_ATTR_KEY
        .u32(0) // offset
        .u32(0x1234) // key
        .u32(0xffff) // mask
        .0;
    assert_eq!(expected.len(), 92);

    let mut envelope = EnvelopeRepr::new(EnvHeader::Basic(EnvMsgHdr::new(0, 0)));
    envelope.seq = 1;
    let control = ControlRepr {
        command: ControlCommand::CONNECT,
        version: 1,
        flags: CONTROL_FLAGS,
        seq: 2,
        pid: 0,
    };
    let mut buf = [0u8; 200];
    let len = control
        .emit_in_envelope(&envelope, &mut buf, |w| {
            w.host("tcp://localhost:9824")?;
            w.key(0, 0x1234, 0xffff)
        })
        .unwrap();
    assert_eq!(&buf[..len], &expected[..]);

    // The same control message built alone is the envelope's data.
    let mut alone = [0u8; 100];
    let alone_len = control
        .emit(&mut alone, |w| {
            w.attr(&ControlAttr::Host("tcp://localhost:9824"))?;
            w.attr(&ControlAttr::Key {
                offset: 0,
                key: 0x1234,
                mask: 0xffff,
            })
        })
        .unwrap();
    assert_eq!(&alone[..alone_len], &expected[28..]);
    // ... and wrapping it with emit() gives the same bytes (NLT_CONTROL set by hand).
    envelope.flags = TransportFlags::CONTROL;
    assert_eq!(emit(&envelope, &alone[..alone_len]), expected);

    let env = Envelope::parse(&expected, EnvelopeFormat::Basic).unwrap();
    assert!(env.is_control());
    let ctrl = env.control().unwrap();
    assert_eq!(ctrl.command(), ControlCommand::CONNECT);
    assert_eq!((ctrl.version(), ctrl.seq(), ctrl.pid()), (1, 2, 0));
    assert_eq!(ctrl.flags().bits(), 1);
    assert_eq!(ctrl.repr(), control);
    let attrs: Vec<_> = ctrl.attrs().collect::<Result<_, _>>().unwrap();
    assert_eq!(
        attrs,
        [
            ControlAttr::Host("tcp://localhost:9824"),
            ControlAttr::Key {
                offset: 0,
                key: 0x1234,
                mask: 0xffff
            }
        ]
    );
    // Offsets count from the start of the transport message: the HOST
    // attribute sits at 28 (envelope) + 20 (nlmsghdr + genlmsghdr) = 48.
    assert_eq!(ctrl.raw_attrs().next().unwrap().unwrap().offset(), 48);
}

#[test]
fn two_fragment_message() {
    // "123456789" has the standard CRC-32 check value 0xcbf43926.
    let message = b"123456789";
    assert_eq!(crc32(message), 0xcbf4_3926);
    let repr = EnvelopeRepr::new(EnvHeader::Basic(EnvMsgHdr::new(5, 6)));
    let split = Splitter::new(message, repr, 9, 5).unwrap();
    assert_eq!(split.count(), 2);

    // Fragment 0: data "12345": nla_len 9, padded to 12.
    //   nlmsg_len = 16 + 8 + 12 + 24 (fragment attribute: 4 + 20) = 60
    let frag0 = Expect::new()
        .nlmsghdr(60, 0xf, 0, 0, 0)
        .u32(5)
        .u32(6)
        .nla(9, 0)
        .bytes(b"12345\0\0\0")
        .nla(24, 0x3f00) // IPR_ATTR_FRAGMENT
        .u32(9) // message_id
        .u32(9) // total_len
        .u32(0) // offset
        .u16(0) // index
        .u16(2) // count
        .u32(0xcbf4_3926) // checksum
        .0;
    // Fragment 1: data "6789": nla_len 8.
    //   nlmsg_len = 16 + 8 + 8 + 24 = 56
    let frag1 = Expect::new()
        .nlmsghdr(56, 0xf, 0, 0, 0)
        .u32(5)
        .u32(6)
        .nla(8, 0)
        .bytes(b"6789")
        .nla(24, 0x3f00)
        .u32(9)
        .u32(9)
        .u32(5) // offset: after the 5 bytes of fragment 0
        .u16(1)
        .u16(2)
        .u32(0xcbf4_3926)
        .0;
    assert_eq!(split.fragment_buffer_len(0), Some(60));
    assert_eq!(split.fragment_buffer_len(1), Some(56));
    assert_eq!(split.fragment_buffer_len(2), None);

    let mut split = split;
    let mut buf = [0u8; 60];
    // One byte short: refused, nothing written, no progress.
    let err = split.next_into(&mut buf[..59]).unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BufferTooSmall { needed: 60 });
    assert!(buf.iter().all(|&b| b == 0));
    let n = split.next_into(&mut buf).unwrap().unwrap();
    assert_eq!(&buf[..n], &frag0[..]);
    let mut buf1 = [0u8; 56];
    let n1 = split.next_into(&mut buf1).unwrap().unwrap();
    assert_eq!(&buf1[..n1], &frag1[..]);
    assert!(split.next_into(&mut buf1).is_none());

    let mut storage = [0u8; 64];
    let mut reasm = Reassembler::new(&mut storage);
    let e0 = Envelope::parse(&frag0, EnvelopeFormat::Basic).unwrap();
    let e1 = Envelope::parse(&frag1, EnvelopeFormat::Basic).unwrap();
    assert_eq!(e0.fragment_offset(), Some(36));
    assert_eq!(reasm.push(&e0).unwrap(), None);
    assert_eq!(reasm.in_progress(), Some(9));
    assert_eq!(reasm.push(&e1).unwrap(), Some(&message[..]));
    assert_eq!(reasm.last_message_id(), Some(9));

    // Replaying the message is refused.
    let err = reasm.push(&e0).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Fragment(FragmentViolation::Duplicate { index: 0 })
    );
    assert_eq!(err.offset(), 36);
}

#[test]
fn unfragmented_message_is_plain() {
    let repr = EnvelopeRepr::new(EnvHeader::Basic(EnvMsgHdr::new(0, 0)));
    let split = Splitter::new(b"short", repr, 1, 5).unwrap();
    assert_eq!(split.count(), 1);
    assert!(!split.is_fragmented());
    let mut buf = [0u8; 64];
    let n = split.write_fragment(0, &mut buf).unwrap();
    assert_eq!(&buf[..n], &emit(&repr, b"short")[..]);
}

#[test]
fn parse_errors_are_typed_with_offsets() {
    let repr = EnvelopeRepr::new(EnvHeader::Basic(EnvMsgHdr::new(0, 0)));
    let good = emit(&repr, b"xy");

    // Wrong message type.
    let mut bad = good.clone();
    bad[4..6].copy_from_slice(&0x10u16.to_ne_bytes());
    let err = Envelope::parse(&bad, EnvelopeFormat::Basic).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::UnexpectedType {
            expected: 0xf,
            found: 0x10
        }
    );
    assert_eq!(err.offset(), 0);

    // The Basic message read as Ports: nlmsg_len = 16 + 8 + align(4 + 2) = 32
    // leaves 16 bytes of payload, fewer than the 20 of the Ports header.
    let err = Envelope::parse(&good, EnvelopeFormat::Ports).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Truncated {
            needed: 20,
            available: 16
        }
    );
    // Reported at the message's start, like a short family header.
    assert_eq!(err.offset(), 0);

    // First attribute of another type.
    let mut bad = good.clone();
    bad[26..28].copy_from_slice(&3u16.to_ne_bytes());
    let err = Envelope::parse(&bad, EnvelopeFormat::Basic).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::UnexpectedType {
            expected: 0,
            found: 3
        }
    );
    assert_eq!(err.offset(), 24);

    // No attribute at all: nlmsg_len 24 = headers only.
    let mut bad = good[..24].to_vec();
    bad[..4].copy_from_slice(&24u32.to_ne_bytes());
    let err = Envelope::parse(&bad, EnvelopeFormat::Basic).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Truncated {
            needed: 4,
            available: 0
        }
    );
    assert_eq!(err.offset(), 0);

    // A fragment attribute of the wrong size.
    let mut bad = good.clone();
    bad.extend_from_slice(&Expect::new().nla(8, 0x3f00).u32(0).0);
    let len = bad.len() as u32;
    bad[..4].copy_from_slice(&len.to_ne_bytes());
    let err = Envelope::parse(&bad, EnvelopeFormat::Basic).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::WrongSize {
            expected: 20,
            found: 4
        }
    );
    assert_eq!(err.offset(), 32);

    // The same at type 1 is pyroute2's IPR_ATTR_CNAME, not a fragment
    // header (legacy fragment headers are 20 bytes): read, and its text
    // refused only when asked for.
    let mut named = good.clone();
    named.extend_from_slice(&Expect::new().nla(8, 1).u32(0).0);
    let len = named.len() as u32;
    named[..4].copy_from_slice(&len.to_ne_bytes());
    let env = Envelope::parse(&named, EnvelopeFormat::Basic).unwrap();
    assert!(env.fragment().is_none());
    assert_eq!(env.cname(), Some(Ok("")));

    // Data too short to be a control message (2 bytes at offset 28).
    let env = Envelope::parse(&good, EnvelopeFormat::Basic).unwrap();
    let err = env.control().unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Truncated {
            needed: 16,
            available: 2
        }
    );
    assert_eq!(err.offset(), 28);
}

#[test]
fn control_attr_errors() {
    let mut buf = [0u8; 64];
    let len = ControlRepr::new(ControlCommand::ACK)
        .emit(&mut buf, |w| {
            w.raw(5, &[1, 2]) // ADDR with 2 bytes
        })
        .unwrap();
    let msg = procslink::envmsg::ControlMessage::parse(&buf[..len]).unwrap();
    let mut attrs = msg.attrs();
    let err = attrs.next().unwrap().unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::WrongSize {
            expected: 4,
            found: 2
        }
    );
    assert_eq!(err.offset(), 20);
    assert!(attrs.next().is_none());

    let len = ControlRepr::new(ControlCommand::ERR)
        .emit(&mut buf, |w| w.raw(6, b"no nul"))
        .unwrap();
    let msg = procslink::envmsg::ControlMessage::parse(&buf[..len]).unwrap();
    assert_eq!(
        msg.attrs().next().unwrap().unwrap_err().kind(),
        ErrorKind::NotNulTerminated
    );

    // Unknown types are kept.
    let len = ControlRepr::new(ControlCommand(200))
        .emit(&mut buf, |w| w.raw(40, b"zz"))
        .unwrap();
    let msg = procslink::envmsg::ControlMessage::parse(&buf[..len]).unwrap();
    assert_eq!(msg.command().name(), None);
    match msg.attrs().next().unwrap().unwrap() {
        ControlAttr::Unknown(a) => assert_eq!((a.kind(), a.payload()), (40, &b"zz"[..])),
        other => panic!("unexpected {other:?}"),
    }
}

/// Before the fragment header moved to 0x3f00 it was written as type 1,
/// pyroute2's `IPR_ATTR_CNAME`: such envelopes still reassemble, and a real
/// name of the same size is not mistaken for a fragment header.
#[test]
fn legacy_type_1_fragments_and_names() {
    let message = b"123456789";
    let repr = EnvelopeRepr::new(EnvHeader::Basic(EnvMsgHdr::new(5, 6)));
    let split = Splitter::new(message, repr, 9, 5).unwrap();
    let mut frames = Vec::new();
    for i in 0..2 {
        let mut buf = [0u8; 64];
        let n = split.write_fragment(i, &mut buf).unwrap();
        let mut frame = buf[..n].to_vec();
        // Rewrite the fragment attribute's type to the old 1.
        let at = n - 24 + 2;
        frame[at..at + 2].copy_from_slice(&1u16.to_ne_bytes());
        frames.push(frame);
    }
    let mut storage = [0u8; 64];
    let mut reasm = Reassembler::new(&mut storage);
    let e0 = Envelope::parse(&frames[0], EnvelopeFormat::Basic).unwrap();
    assert!(e0.fragment().is_some());
    assert!(e0.cname().is_none());
    assert_eq!(reasm.push(&e0).unwrap(), None);
    let e1 = Envelope::parse(&frames[1], EnvelopeFormat::Basic).unwrap();
    assert_eq!(reasm.push(&e1).unwrap(), Some(&message[..]));

    // A 19-character name (20 bytes with its NUL) is a name.
    let mut named = emit(&repr, b"data");
    let name = b"abcdefghijklmnopqrs\0";
    named.extend(24u16.to_ne_bytes());
    named.extend(1u16.to_ne_bytes());
    named.extend(name);
    let len = named.len() as u32;
    named[..4].copy_from_slice(&len.to_ne_bytes());
    let env = Envelope::parse(&named, EnvelopeFormat::Basic).unwrap();
    assert!(env.fragment().is_none());
    assert_eq!(env.cname(), Some(Ok("abcdefghijklmnopqrs")));
}

/// Every fragment of a message is an envelope of its own id: a pyroute2
/// broker drops repeated ids.
#[test]
fn fragments_have_unique_ids() {
    let message = [0x5au8; 1000];
    let mut ids = EnvelopeIds::new(*b"fragids!");
    let before = ids.next_id();
    let mut split = Splitter::new(&message, EnvelopeRepr::default(), 3, 100).unwrap();
    split.take_ids(&mut ids);
    let after = ids.next_id();
    let mut seen = std::collections::HashSet::new();
    seen.insert(before);
    seen.insert(after);
    let mut buf = [0u8; 256];
    while let Some(n) = split.next_into(&mut buf) {
        let n = n.unwrap();
        let env = Envelope::parse(&buf[..n], EnvelopeFormat::PortsId).unwrap();
        assert!(seen.insert(*env.id().unwrap()), "a repeated id");
    }
    assert_eq!(seen.len(), 12);
}

/// The defaults are pyroute2 0.2.10+'s 36-byte layout.
#[test]
fn defaults_are_ports_id() {
    assert_eq!(EnvelopeFormat::default(), EnvelopeFormat::PortsId);
    assert_eq!(
        EnvelopeRepr::default().header.format(),
        EnvelopeFormat::PortsId
    );
    assert_eq!(EnvelopeRepr::default().buffer_len(0), 16 + 36 + 4);
}
