//! Helpers shared by the integration tests: the captured traffic in
//! `tests/data` and its manifest.
#![allow(dead_code)]

pub mod alloc;

use std::path::PathBuf;

/// The captured traffic, inside the crate (`tests/data`).
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Reads a corpus file; a missing corpus is a loud failure.
pub fn read_corpus(name: &str) -> Vec<u8> {
    let path = corpus_dir().join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("cannot read corpus file {}: {e}", path.display()))
}

/// One row of the kernel-dump table in `tests/data/MANIFEST.md`.
#[derive(Debug)]
pub struct DumpRow {
    pub file: String,
    pub bytes: usize,
    pub messages: usize,
    pub by_type: Vec<(u16, usize)>,
    pub top_level_attrs: usize,
}

/// Parses the kernel-dump table of `tests/data/MANIFEST.md`.
pub fn manifest_dumps() -> Vec<DumpRow> {
    let text = std::fs::read_to_string(corpus_dir().join("MANIFEST.md")).expect("MANIFEST.md");
    let rows: Vec<DumpRow> = text
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(".bin |"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split('|').map(str::trim).collect();
            let by_type = cells[4]
                .split(',')
                .map(|pair| {
                    let (t, n) = pair.split_once(':').expect("type: count");
                    (t.trim().parse().unwrap(), n.trim().parse().unwrap())
                })
                .collect();
            DumpRow {
                file: cells[0].to_string(),
                bytes: cells[2].parse().unwrap(),
                messages: cells[3].parse().unwrap(),
                by_type,
                top_level_attrs: cells[5].parse().unwrap(),
            }
        })
        .collect();
    assert_eq!(rows.len(), 5, "the manifest lists five kernel dumps");
    rows
}

/// The family header size of the messages in a dump, by file name.
pub fn family_header_len(file: &str) -> usize {
    match file {
        f if f.starts_with("genl-") => 4,
        "rtnl-link-dump.bin" => 16,
        "rtnl-addr-dump.bin" => 8,
        "rtnl-route-dump.bin" | "rtnl-neigh-dump.bin" => 12,
        other => panic!("no family header size known for {other}"),
    }
}
