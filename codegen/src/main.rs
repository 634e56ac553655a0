//! Generates `procslink::families` from the kernel's netlink specifications.
//!
//! ```text
//! cargo run -p procslink-codegen -- SPECS_DIR OUT_DIR           # write
//! cargo run -p procslink-codegen -- --check SPECS_DIR OUT_DIR   # compare
//! cargo run -p procslink-codegen -- --features SPECS_DIR        # Cargo.toml lines
//! ```
//!
//! Each `SPECS_DIR/<family>.yaml` becomes `OUT_DIR/<family>.rs`, and
//! `OUT_DIR/list.rs` declares them, each behind its `family-<name>`
//! feature. The output is piped through `rustfmt`, so it is what `cargo
//! fmt` leaves. Only facts are carried over (names, numbers, types,
//! layouts), never the specifications' `doc:` prose; nor the path the
//! generator was run with.

mod errata;
mod model;
mod render;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::{fs, io::Write};

fn usage() -> ExitCode {
    eprintln!(
        "usage: procslink-codegen [--check] SPECS_DIR OUT_DIR\n       procslink-codegen --features SPECS_DIR"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, rest) = match args.first().map(String::as_str) {
        Some("--check") => (Mode::Check, &args[1..]),
        Some("--features") => (Mode::Features, &args[1..]),
        Some(a) if a.starts_with('-') => return usage(),
        _ => (Mode::Write, &args[..]),
    };
    let (specs, out) = match (mode, rest) {
        (Mode::Features, [specs]) => (PathBuf::from(specs), PathBuf::new()),
        (Mode::Check | Mode::Write, [specs, out]) => (PathBuf::from(specs), PathBuf::from(out)),
        _ => return usage(),
    };
    match run(mode, &specs, &out) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("procslink-codegen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The files of `OUT_DIR` written by hand: the table types and the runtime
/// of the typed views.
const HAND_WRITTEN: &[&str] = &["mod.rs", "attr.rs", "tables.rs", "view.rs"];

#[derive(Copy, Clone, PartialEq, Eq)]
enum Mode {
    Write,
    Check,
    Features,
}

fn run(mode: Mode, specs: &Path, out: &Path) -> Result<ExitCode, String> {
    let mut paths: Vec<PathBuf> = fs::read_dir(specs)
        .map_err(|e| format!("reading {}: {e}", specs.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(format!("no *.yaml in {}", specs.display()));
    }
    let mut families = Vec::new();
    for path in &paths {
        let text =
            fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or("spec.yaml");
        let family = model::Family::parse(&text).map_err(|e| format!("{file}: {e}"))?;
        for warning in &family.warnings {
            eprintln!("note: {file}: {warning}");
        }
        families.push((file.to_string(), family));
    }
    if mode == Mode::Features {
        print!("{}", render::features(&families));
        return Ok(ExitCode::SUCCESS);
    }
    let mut outputs = Vec::new();
    for (file, family) in &families {
        let code = render::family(file, family);
        outputs.push((format!("{}.rs", family.module), rustfmt(&code)?));
    }
    outputs.push(("list.rs".to_string(), rustfmt(&render::list(&families))?));

    let mut differing = Vec::new();
    for (name, code) in &outputs {
        let path = out.join(name);
        let current = fs::read_to_string(&path).ok();
        if current.as_deref() == Some(code.as_str()) {
            continue;
        }
        match mode {
            Mode::Check => differing.push(name.clone()),
            _ => fs::write(&path, code).map_err(|e| format!("writing {}: {e}", path.display()))?,
        }
    }
    // Generated files whose specification is gone.
    let generated: Vec<&str> = outputs.iter().map(|(n, _)| n.as_str()).collect();
    if let Ok(entries) = fs::read_dir(out) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".rs")
                && !HAND_WRITTEN.contains(&name.as_str())
                && !generated.contains(&name.as_str())
            {
                eprintln!("note: {name} has no specification (remove it by hand)");
                if mode == Mode::Check {
                    differing.push(name);
                }
            }
        }
    }
    if mode == Mode::Check {
        if differing.is_empty() {
            eprintln!(
                "procslink-codegen: {} generated files up to date",
                outputs.len()
            );
            return Ok(ExitCode::SUCCESS);
        }
        for name in &differing {
            eprintln!("differs from its specification: {name}");
        }
        eprintln!("run `cargo run -p procslink-codegen -- SPECS_DIR OUT_DIR` to regenerate");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn rustfmt(code: &str) -> Result<String, String> {
    let mut child = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into()))
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("running rustfmt: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("rustfmt: no stdin")?;
    let input = code.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    writer
        .join()
        .map_err(|_| "rustfmt: writer failed".to_string())?
        .map_err(|e| format!("rustfmt: {e}"))?;
    if !output.status.success() {
        return Err("rustfmt failed on the generated code".into());
    }
    String::from_utf8(output.stdout).map_err(|e| format!("rustfmt: {e}"))
}
