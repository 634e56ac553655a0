//! Compiles the C contenders (`c/`) at -O3 and links libmnl.
//!
//! libmnl's headers and library come from the system: on Debian/Ubuntu,
//! `apt-get install -y libmnl-dev pkg-config`.

use std::path::PathBuf;
use std::process::Command;

const INSTALL_HINT: &str = "procslink-bench needs libmnl (headers and library) to build its \
     C comparison benchmarks. On Debian/Ubuntu: `apt-get install -y libmnl-dev pkg-config`; \
     on Fedora: `dnf install -y libmnl-devel pkgconf`.";

/// Include directories and link search paths from pkg-config, if it knows
/// libmnl.
fn pkg_config() -> Option<(Vec<PathBuf>, Vec<String>)> {
    let out = Command::new(std::env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".into()))
        .args(["--cflags", "--libs", "libmnl"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let mut includes = Vec::new();
    let mut search = Vec::new();
    for word in text.split_whitespace() {
        if let Some(dir) = word.strip_prefix("-I") {
            includes.push(PathBuf::from(dir));
        } else if let Some(dir) = word.strip_prefix("-L") {
            search.push(dir.to_owned());
        }
    }
    Some((includes, search))
}

/// Without pkg-config: can the C compiler find `<libmnl/libmnl.h>`?
fn header_found() -> bool {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let probe = out_dir.join("libmnl_probe.c");
    if std::fs::write(
        &probe,
        "#include <libmnl/libmnl.h>\nint main(void) { return 0; }\n",
    )
    .is_err()
    {
        return false;
    }
    let compiler = cc::Build::new().get_compiler();
    compiler
        .to_command()
        .arg("-E")
        .arg(&probe)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn main() {
    println!("cargo:rerun-if-changed=c");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    let (includes, search) = match pkg_config() {
        Some(found) => found,
        None if header_found() => (Vec::new(), Vec::new()),
        None => {
            panic!("libmnl not found (neither pkg-config nor <libmnl/libmnl.h>). {INSTALL_HINT}")
        }
    };

    // -O3, as the Rust side's release and bench profiles: the comparison is
    // between compilers at equal optimisation.
    cc::Build::new()
        .files(["c/handwritten.c", "c/libmnl_shim.c"])
        .includes(&includes)
        .opt_level(3)
        .flag_if_supported("-std=gnu11")
        // As for the Rust code (`.cargo/config.toml`): keep branches from
        // crossing 32-byte boundaries, the Intel JCC-erratum mitigation, so
        // that timings do not depend on where the loops happen to land.
        .flag_if_supported("-Wa,-mbranches-within-32B-boundaries")
        .warnings(true)
        .extra_warnings(true)
        .compile("procslink_bench_c");

    // The raw floor of the kernel dump bench (`benches/kernel_dump.rs`):
    // plain libc, at -O3.
    cc::Build::new()
        .file("c/kernel_dump.c")
        .opt_level(3)
        .flag_if_supported("-std=gnu11")
        .flag_if_supported("-Wa,-mbranches-within-32B-boundaries")
        .warnings(true)
        .extra_warnings(true)
        .compile("procslink_bench_kernel_dump");

    // The raw floor of the threaded round trip (`benches/throughput.rs`):
    // plain libc and pthreads, at -O3.
    cc::Build::new()
        .file("c/pingpong.c")
        .opt_level(3)
        .flag_if_supported("-std=gnu11")
        .flag("-pthread")
        .flag_if_supported("-Wa,-mbranches-within-32B-boundaries")
        .warnings(true)
        .extra_warnings(true)
        .compile("procslink_bench_pingpong");

    for dir in search {
        println!("cargo:rustc-link-search=native={dir}");
    }
    println!("cargo:rustc-link-lib=mnl");
}
