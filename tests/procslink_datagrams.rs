//! ProcsLink datagrams: the reference's bytes parse and rebuild identically,
//! its length checks are applied exactly, and build → parse round-trips.

mod common;

use proptest::prelude::*;

use procslink::procslink::{Datagram, DatagramRepr, MAX_DATAGRAM, PROCSLINK_OVERHEAD, PayloadType};
use procslink::{Error, ErrorKind};

/// (file, nlmsg_len, procslink length, payload type, JSON) from MANIFEST.md.
fn manifest_datagrams() -> Vec<(String, usize, usize, u16, String)> {
    let text = std::fs::read_to_string(common::corpus_dir().join("MANIFEST.md")).unwrap();
    let rows: Vec<_> = text
        .lines()
        .filter_map(|l| l.strip_prefix("- `procslink/"))
        .map(|l| {
            let (file, rest) = l.split_once('`').unwrap();
            let num = |key: &str| -> usize {
                let at = rest.find(key).unwrap() + key.len();
                rest[at..]
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            };
            let json_start = rest.find(": `").unwrap() + 3;
            let json = &rest[json_start..rest.len() - 1];
            (
                format!("procslink/{file}"),
                num("nlmsg_len "),
                num("procslink length "),
                num("payload_type ") as u16,
                json.to_string(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 8, "the manifest lists eight datagrams");
    rows
}

#[test]
fn reference_datagrams_parse_and_rebuild_byte_identical() {
    for (file, nlmsg_len, length, payload_type, json) in manifest_datagrams() {
        let bytes = common::read_corpus(&file);
        let d = Datagram::parse(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(d.netlink_header().len() as usize, nlmsg_len, "{file}");
        assert_eq!(d.header().len() as usize, length, "{file}");
        assert_eq!(d.payload_type(), PayloadType(payload_type), "{file}");
        assert_eq!(d.header().version(), 1);
        assert_ne!(d.pid(), 0, "{file}: the reference writes its port id");
        assert_eq!(d.text().unwrap(), json, "{file}");
        let expected_type = if file.starts_with("procslink/request") {
            PayloadType::JSONRPC_REQUEST
        } else {
            PayloadType::JSONRPC_RESPONSE
        };
        assert_eq!(d.payload_type(), expected_type);

        let mut out = [0u8; 512];
        let n = d.repr().emit(d.payload(), &mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..], "{file}");
        let n = DatagramRepr::new(d.pid(), expected_type)
            .emit(json.as_bytes(), &mut out)
            .unwrap();
        assert_eq!(&out[..n], &bytes[..], "{file}: the reference's defaults");
    }
}

#[test]
fn length_checks_are_exact() {
    let bytes = common::read_corpus("procslink/request-positional.bin");
    // One byte more or less than the headers say.
    let mut longer = bytes.clone();
    longer.push(b' ');
    assert_eq!(
        Datagram::parse(&longer).unwrap_err(),
        Error::new(
            ErrorKind::LengthMismatch {
                length: 90,
                actual: 91
            },
            0
        )
    );
    assert_eq!(
        Datagram::parse(&bytes[..bytes.len() - 1]).unwrap_err(),
        Error::new(
            ErrorKind::LengthMismatch {
                length: 90,
                actual: 89
            },
            0
        )
    );
    // nlmsg_len right, procslink length wrong.
    let mut bad = bytes.clone();
    bad[16 + 7] += 1;
    assert_eq!(
        Datagram::parse(&bad).unwrap_err(),
        Error::new(
            ErrorKind::LengthMismatch {
                length: 67,
                actual: 66
            },
            16
        )
    );
    // Too short for either header.
    assert!(matches!(
        Datagram::parse(&bytes[..10]).unwrap_err().kind(),
        ErrorKind::Truncated { needed: 16, .. }
    ));
    let mut short = bytes[..30].to_vec();
    short[..4].copy_from_slice(&14u32.to_be_bytes());
    assert_eq!(
        Datagram::parse(&short).unwrap_err(),
        Error::new(
            ErrorKind::Truncated {
                needed: 24,
                available: 14
            },
            16
        )
    );
    // Over the limit, and a configurable limit.
    let big = vec![0u8; MAX_DATAGRAM + 1];
    assert_eq!(
        Datagram::parse(&big).unwrap_err().kind(),
        ErrorKind::TooLarge {
            size: 4097,
            max: 4096
        }
    );
    assert!(Datagram::parse_with_limit(&bytes, 100).is_err());
    assert!(Datagram::parse_with_limit(&bytes, 106).is_ok());
    // Kernel-order headers are not ProcsLink's.
    let mut host = bytes.clone();
    host[..4].copy_from_slice(&90u32.to_le_bytes());
    assert!(Datagram::parse(&host).is_err());
}

#[test]
fn unknown_payload_types_are_kept() {
    let mut buf = [0u8; 64];
    let n = DatagramRepr::new(7, PayloadType(77))
        .emit(b"{}", &mut buf)
        .unwrap();
    let d = Datagram::parse(&buf[..n]).unwrap();
    assert_eq!(d.payload_type(), PayloadType(77));
    assert_eq!(d.payload_type().to_string(), "77");
}

#[test]
fn out_of_room_says_how_much_is_needed() {
    let mut buf = [0xeeu8; 50];
    let e = DatagramRepr::request(1)
        .emit(&[b'x'; 20], &mut buf[..45])
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BufferTooSmall { needed: 60 });
    assert!(buf.iter().all(|&b| b == 0xee));
}

proptest! {
    #[test]
    fn build_parse_round_trip(
        payload in prop::collection::vec(any::<u8>(), 0..(MAX_DATAGRAM - PROCSLINK_OVERHEAD)),
        pid in any::<u32>(), ty in any::<u16>(), seq in any::<u32>(), ts in any::<u64>(),
        nl_type in any::<u16>(), flags in any::<u16>(),
    ) {
        let mut repr = DatagramRepr::new(pid, PayloadType(ty));
        repr.seq = seq;
        repr.timestamp = ts;
        repr.nlmsg_type = nl_type;
        repr.nlmsg_flags = flags;
        let mut buf = vec![0u8; MAX_DATAGRAM];
        let n = repr.emit(&payload, &mut buf).unwrap();
        let d = Datagram::parse(&buf[..n]).unwrap();
        prop_assert_eq!(d.repr(), repr);
        prop_assert_eq!(d.payload(), &payload[..]);

        // The header alone, around a payload already in place, gives the
        // same bytes; a short buffer is refused untouched.
        let mut in_place = vec![0xa5u8; MAX_DATAGRAM];
        in_place[PROCSLINK_OVERHEAD..][..payload.len()].copy_from_slice(&payload);
        prop_assert_eq!(repr.emit_header(payload.len(), &mut in_place), Ok(n));
        prop_assert_eq!(&in_place[..n], &buf[..n]);
        let mut short = vec![0xa5u8; n - 1];
        prop_assert!(repr.emit_header(payload.len(), &mut short).is_err());
        prop_assert!(short.iter().all(|&b| b == 0xa5));
    }

    #[test]
    fn any_bytes_parse_or_fail_inside(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        match Datagram::parse(&bytes) {
            Ok(d) => prop_assert_eq!(d.payload().len() + PROCSLINK_OVERHEAD, bytes.len()),
            Err(e) => prop_assert!(e.offset() < bytes.len().max(1)),
        }
    }
}
