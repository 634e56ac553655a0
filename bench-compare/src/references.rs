//! Where the seed-system benches find the reference implementations
//! (`../shared/references/` beside the workspace, or
//! `PROCSLINK_REFERENCES`) and what `scripts/references/*.sh` installed for
//! them (`target/references`, or `PROCSLINK_REFERENCE_TOOLS`), as the
//! interop tests do. A bench without them times the crate alone.

use std::path::PathBuf;

use crate::roundtrip::workspace;

/// `relative` in the reference implementations' folder, if it exists.
pub fn reference(relative: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("PROCSLINK_REFERENCES")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("../shared/references/"));
    Some(dir.join(relative)).filter(|p| p.exists())
}

/// `relative` in what the reference scripts installed, if it exists.
pub fn tool(relative: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("PROCSLINK_REFERENCE_TOOLS")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/references"));
    Some(dir.join(relative)).filter(|p| p.exists())
}

/// Prints why `bench` times the crate alone.
pub fn skipped(bench: &str, missing: &str) {
    eprintln!(
        "NOTICE: {bench}: {missing} is missing (scripts/references/, PROCSLINK_REFERENCES, PROCSLINK_REFERENCE_TOOLS): the reference's rows are skipped"
    );
}
