//! Where the sockets live: the directory, the setup socket's path, and
//! the random ids that name the per-client sockets.

use std::prelude::rust_2024::*;

use std::io;
use std::path::{Path, PathBuf};

use crate::framing::domainsockets::SETUP_LEN;

/// The directory the sockets are in when none is configured: `$TMPDIR`,
/// else `/tmp` (Go's `os.TempDir`, what the reference uses).
pub fn default_dir() -> PathBuf {
    std::env::temp_dir()
}

/// The setup socket of the server called `name` in `dir`: `dir/name`, as
/// Go's `path.Join(os.TempDir(), name)` (a leading `/` of `name` stays
/// inside `dir`).
///
/// ```
/// use std::path::Path;
/// use procslink::peer::domainsockets::setup_path;
///
/// assert_eq!(setup_path(Path::new("sockets"), "svc"), Path::new("sockets/svc"));
/// assert_eq!(setup_path(Path::new("sockets"), "/svc"), Path::new("sockets/svc"));
/// ```
pub fn setup_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(name.trim_start_matches('/'))
}

/// A fresh random version-4 UUID in its 36-character lowercase form: the
/// name of a socket in the directory.
pub(super) fn new_id() -> io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(format!("no random bytes: {e}")))?;
    let [b6, b8] = [bytes[6], bytes[8]];
    bytes[6] = (b6 & 0x0f) | 0x40; // version 4
    bytes[8] = (b8 & 0x3f) | 0x80; // RFC 4122 variant
    let mut id = String::with_capacity(SETUP_LEN);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            id.push('-');
        }
        id.push_str(&format!("{b:02x}"));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::new_id;
    use crate::framing::domainsockets::SetupId;

    #[test]
    fn new_ids_are_setup_ids_and_differ() {
        let a = new_id().unwrap();
        let b = new_id().unwrap();
        assert!(SetupId::new(&a).is_ok(), "{a}");
        assert_ne!(a, b);
    }
}
