//! The `procslink` command (work in progress).
fn main() {}
