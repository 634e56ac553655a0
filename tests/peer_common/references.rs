//! Where the interop tests find the seed systems' real implementations
//! (`../shared/references/`) and what `scripts/references/*.sh` built or
//! installed for them (`target/references`). A missing one is a notice, or
//! a failure under `CI=true` (see [`super::missing`]).

use std::path::PathBuf;

use super::{missing, root};

/// The folder of the reference implementations: `PROCSLINK_REFERENCES`,
/// else `../shared/references/` beside the crate.
pub fn references() -> Option<PathBuf> {
    let dir = std::env::var_os("PROCSLINK_REFERENCES")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/references/"));
    if dir.is_dir() {
        Some(dir)
    } else {
        missing(&format!(
            "no reference implementations at {} (set PROCSLINK_REFERENCES)",
            dir.display()
        ));
        None
    }
}

/// `relative` inside the reference implementations' folder, if it exists.
pub fn reference(relative: &str) -> Option<PathBuf> {
    let path = references()?.join(relative);
    if path.exists() {
        Some(path)
    } else {
        missing(&format!("the reference {} is missing", path.display()));
        None
    }
}

/// `relative` inside what `scripts/references/*.sh` installed:
/// `PROCSLINK_REFERENCE_TOOLS`, else `target/references`. Absent when the
/// references are, or when the script has not run (`how` says what makes
/// it).
pub fn tool(relative: &str, how: &str) -> Option<PathBuf> {
    references()?;
    let dir = std::env::var_os("PROCSLINK_REFERENCE_TOOLS")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/references"));
    let path = dir.join(relative);
    if path.exists() {
        Some(path)
    } else {
        missing(&format!("{} is missing: {how}", path.display()));
        None
    }
}
