//! Real kernel traffic: every dump in `tests/data` parses to the counts
//! in its manifest, and every message rebuilt with the builders is
//! byte-identical to the original.
#![cfg(feature = "family-rt-link")]

mod common;

use std::collections::BTreeMap;

use common::{family_header_len, manifest_dumps, read_corpus};
use procslink::families::rt_link;
use procslink::netlink::{
    Attr, Attrs, Builder, MessageBuilder, MessageType, Messages, align, genl,
};

#[test]
fn dumps_match_manifest_counts() {
    for row in manifest_dumps() {
        let bytes = read_corpus(&row.file);
        assert_eq!(bytes.len(), row.bytes, "{}: size", row.file);
        let hdr_len = family_header_len(&row.file);
        let mut messages = 0;
        let mut by_type = BTreeMap::new();
        let mut attrs = 0;
        let mut done = 0;
        for msg in Messages::new(&bytes) {
            let msg = msg.unwrap_or_else(|e| panic!("{}: {e}", row.file));
            messages += 1;
            *by_type.entry(msg.message_type().0).or_insert(0usize) += 1;
            if msg.message_type().is_done() {
                assert_eq!(msg.done().unwrap().status(), 0, "{}: dump status", row.file);
                done += 1;
                continue;
            }
            let (_, run) = msg.split_family_header(hdr_len).unwrap();
            for attr in run {
                attr.unwrap_or_else(|e| panic!("{}: {e}", row.file));
                attrs += 1;
            }
        }
        assert_eq!(messages, row.messages, "{}: messages", row.file);
        assert_eq!(
            by_type.into_iter().collect::<Vec<_>>(),
            row.by_type,
            "{}: by type",
            row.file
        );
        assert_eq!(
            attrs, row.top_level_attrs,
            "{}: top-level attributes",
            row.file
        );
        assert_eq!(done, 1, "{}: one DONE", row.file);
    }
}

#[test]
fn nested_attributes_walk_everywhere() {
    // Descend into every attribute the kernel flagged NLA_F_NESTED and into
    // the rtnetlink nests known not to carry the flag; nothing may fail.
    fn walk(run: Attrs<'_>, depth: usize, total: &mut usize) {
        assert!(depth < 16);
        for attr in run {
            let attr = attr.unwrap();
            *total += 1;
            let schema_nest =
                depth == 0 && unflagged_nests("rtnl-link-dump.bin").contains(&attr.kind());
            if attr.is_nested() || schema_nest {
                walk(attr.nested(), depth + 1, total);
            }
        }
    }
    let bytes = read_corpus("rtnl-link-dump.bin");
    let mut total = 0;
    let mut names = Vec::new();
    for msg in Messages::new(&bytes) {
        let msg = msg.unwrap();
        if msg.message_type() != rt_link::RTM_NEWLINK {
            continue;
        }
        let (ifi, run) = msg.family_header::<rt_link::Ifinfomsg>().unwrap();
        assert!(ifi.ifi_index.get() > 0);
        walk(run.clone(), 0, &mut total);
        let name = run.clone().lookup(rt_link::IFLA_IFNAME).unwrap().unwrap();
        names.push(name.str().unwrap().to_string());
        if let Some(info) = run.lookup(rt_link::IFLA_LINKINFO).unwrap() {
            let kind = info
                .nested()
                .lookup(rt_link::IFLA_INFO_KIND)
                .unwrap()
                .unwrap();
            assert!(!kind.str().unwrap().is_empty());
        }
    }
    assert!(names.iter().any(|n| n == "lo"), "{names:?}");
    assert!(total > 3395, "nested attributes were visited: {total}");
}

#[test]
fn genl_family_dump_names_nlctrl() {
    let bytes = read_corpus("genl-ctrl-family-dump.bin");
    let mut families = Vec::new();
    for msg in Messages::new(&bytes) {
        let msg = msg.unwrap();
        if msg.message_type().is_done() {
            continue;
        }
        assert_eq!(msg.message_type(), genl::GENL_ID_CTRL);
        let (hdr, run) = msg.genl().unwrap();
        assert_eq!(hdr.cmd, genl::CTRL_CMD_NEWFAMILY);
        let name = run
            .clone()
            .lookup(genl::CTRL_ATTR_FAMILY_NAME)
            .unwrap()
            .unwrap();
        let id = run.lookup(genl::CTRL_ATTR_FAMILY_ID).unwrap().unwrap();
        families.push((name.str().unwrap().to_string(), id.u16().unwrap()));
    }
    assert!(
        families.contains(&("nlctrl".to_string(), 0x10)),
        "{families:?}"
    );
}

/// Types that nest without the NLA_F_NESTED flag, by dump.
fn unflagged_nests(file: &str) -> &'static [u16] {
    match file {
        "rtnl-link-dump.bin" => &[rt_link::IFLA_LINKINFO, rt_link::IFLA_AF_SPEC],
        f if f.starts_with("genl-") => &[genl::CTRL_ATTR_OPS, genl::CTRL_ATTR_MCAST_GROUPS],
        _ => &[],
    }
}

fn rebuild_run(
    m: &mut MessageBuilder<'_, '_>,
    run: Attrs<'_>,
    nests: &[u16],
    depth: usize,
) -> usize {
    let mut nested_count = 0;
    for attr in run {
        let attr: Attr<'_> = attr.unwrap();
        let descend = (attr.is_nested() || (depth == 0 && nests.contains(&attr.kind())))
            && attr.nested().all(|a| a.is_ok())
            && !attr.payload().is_empty();
        if descend {
            let mut nest = m.nest(attr.raw_type()).unwrap();
            nested_count += 1 + rebuild_run(&mut nest, attr.nested(), nests, depth + 1);
            nest.end().unwrap();
        } else {
            m.put(attr.raw_type(), attr.payload()).unwrap();
        }
    }
    nested_count
}

#[test]
fn every_message_rebuilds_byte_identical() {
    let mut out = vec![0u8; 1 << 16];
    for row in manifest_dumps() {
        let bytes = read_corpus(&row.file);
        let hdr_len = family_header_len(&row.file);
        let mut rebuilt_messages = 0;
        let mut nests = 0;
        for msg in Messages::new(&bytes) {
            let msg = msg.unwrap();
            let h = msg.header();
            let mut batch = Builder::new(&mut out);
            let mut m = batch
                .message(h.message_type(), h.flags(), h.seq(), h.pid())
                .unwrap();
            if msg.message_type() == MessageType::DONE {
                m.put_bytes_raw(msg.payload()).unwrap();
            } else {
                let (head, run) = msg.split_family_header(hdr_len).unwrap();
                m.family_header(head).unwrap();
                nests += rebuild_run(&mut m, run, unflagged_nests(&row.file), 0);
            }
            m.finish().unwrap();
            let original = &bytes[msg.offset()
                ..msg.offset() + align(h.len() as usize).min(bytes.len() - msg.offset())];
            assert_eq!(
                batch.as_bytes(),
                original,
                "{} message at {}",
                row.file,
                msg.offset()
            );
            rebuilt_messages += 1;
        }
        assert_eq!(rebuilt_messages, row.messages);
        if row.file == "rtnl-link-dump.bin" {
            assert!(nests > 85, "link messages nest: {nests}");
        }
    }
}

#[test]
fn whole_dump_rebuilds_as_one_batch() {
    let bytes = read_corpus("rtnl-route-dump.bin");
    let mut out = vec![0u8; bytes.len()];
    let mut batch = Builder::new(&mut out);
    for msg in Messages::new(&bytes) {
        let msg = msg.unwrap();
        let h = msg.header();
        let mut m = batch
            .message(h.message_type(), h.flags(), h.seq(), h.pid())
            .unwrap();
        m.put_bytes_raw(msg.payload()).unwrap();
        m.finish().unwrap();
    }
    assert_eq!(batch.len(), bytes.len());
    assert_eq!(batch.as_bytes(), &bytes[..]);
}
