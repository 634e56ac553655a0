//! Running the `procslink` binary from the command tests (included with
//! `#[path]` by the tests that need the `cli` feature's binary).

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs the command with `args` and `stdin`.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_procslink"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the procslink binary runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    // The command may exit before reading everything (usage errors).
    let _ = input.write_all(stdin);
    drop(input);
    child
        .wait_with_output()
        .expect("the procslink binary exits")
}
