//! Zero allocation: building, parsing, splitting and reassembling pyroute2
//! transport messages allocate nothing.

mod common;

use common::alloc::{Counting, allocations_during};
use procslink::envmsg::{
    ControlAttr, ControlCommand, ControlRepr, EnvHeader, EnvMsgHdrId, Envelope, EnvelopeFormat,
    EnvelopeRepr, Reassembler, Splitter, TransportFlags,
};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn the_counter_counts() {
    assert!(allocations_during(|| drop(std::hint::black_box(vec![1u8; 10]))) >= 1);
}

#[test]
fn build_parse_split_reassemble_allocate_nothing() {
    // Buffers are allocated up front, outside the measured section.
    let message: Vec<u8> = (0..200_000u32).map(|i| (i * 31 % 251) as u8).collect();
    let mut datagram = vec![0u8; 2048];
    let mut storage = vec![0u8; 200_000];
    let mut control = vec![0u8; 256];
    let mut checksum = 0usize;

    let mut envelope =
        EnvelopeRepr::new(EnvHeader::PortsId(EnvMsgHdrId::new(1, 2, 3, 4, 8, [7; 16])));
    envelope.flags = TransportFlags::DGRAM;

    let n = allocations_during(|| {
        // A control message inside its envelope, parsed back.
        let len = ControlRepr::new(ControlCommand::CONNECT)
            .emit_in_envelope(&envelope, &mut control, |w| {
                w.host("tcp://localhost:9824")?;
                w.key(1, 2, 3)?;
                w.attr(&ControlAttr::Uuid("5f1e"))
            })
            .unwrap();
        let env = Envelope::parse(&control[..len], EnvelopeFormat::PortsId).unwrap();
        let ctrl = env.control().unwrap();
        for attr in ctrl.attrs() {
            if let ControlAttr::Host(h) = attr.unwrap() {
                checksum += h.len();
            }
        }

        // A large message split into 1000-byte fragments and reassembled.
        let mut split = Splitter::new(&message, envelope, 77, 1000).unwrap();
        let mut reasm = Reassembler::new(&mut storage);
        let mut whole = 0;
        while let Some(len) = split.next_into(&mut datagram) {
            let len = len.unwrap();
            let env = Envelope::parse(&datagram[..len], EnvelopeFormat::PortsId).unwrap();
            if let Some(m) = reasm.push(&env).unwrap() {
                whole = m.len();
                checksum += usize::from(m[12345]);
            }
        }
        assert_eq!(whole, message.len());

        // Errors allocate nothing either.
        let err = Envelope::parse(&datagram[..10], EnvelopeFormat::Basic).unwrap_err();
        checksum += err.offset();
    });
    assert_eq!(n, 0, "allocations during build/parse/split/reassemble");
    assert!(checksum > 0);
}
