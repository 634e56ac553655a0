//! The server side of `benches/roundtrip.rs`, in its own process.
//!
//! ```text
//! rt_server raw              # echo the fixed response datagram, no codec
//! rt_server c-echo           # the same in C (c/pingpong.c)
//! rt_server c-echo-unix PATH # the same on a Unix datagram socket at PATH
//! rt_server peer-netlink     # procslink::peer::Server over NETLINK_USERSOCK
//! rt_server peer-unix PATH   # the same over a Unix datagram socket at PATH
//! ```
//!
//! Prints its netlink port (or the Unix path) on the first line of stdout,
//! then serves on the main thread until killed or until its stdin reaches
//! end of file (so it never outlives the bench that started it). With
//! `$PROCSLINK_RT_CPU` set it first pins itself to that CPU.

use std::io::{Read, Write};
use std::path::PathBuf;

use procslink::peer::{Server, ServerOptions, UnixAddr, demo};
use procslink_bench::corpus;
use procslink_bench::roundtrip::{RESPONSE, RawNetlink, with_pid};
use procslink_bench::throughput::CEcho;

fn announce(address: impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{address}").expect("stdout");
    out.flush().expect("stdout");
}

fn exit_on_stdin_eof() {
    std::thread::spawn(|| {
        let mut sink = [0u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        std::process::exit(0);
    });
}

fn raw() -> std::io::Result<()> {
    let socket = RawNetlink::open()?;
    let response = with_pid(&corpus::read(RESPONSE), socket.port());
    announce(socket.port());
    let mut buf = vec![0u8; 4096];
    loop {
        let (_, from) = socket.recv_from(&mut buf)?;
        if from != 0 && from != socket.port() {
            socket.send_to(from, &response)?;
        }
    }
}

fn c_echo(unix: Option<&str>) -> std::io::Result<()> {
    let socket = match unix {
        Some(path) => CEcho::open_unix(std::path::Path::new(path))?,
        None => CEcho::open()?,
    };
    let response = with_pid(&corpus::read(RESPONSE), socket.port());
    match unix {
        Some(path) => announce(path),
        None => announce(socket.port()),
    }
    Err(socket.serve(&response))
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    if let Some(cpu) = std::env::var("PROCSLINK_RT_CPU")
        .ok()
        .and_then(|c| c.parse().ok())
    {
        procslink_bench::roundtrip::pin_to(cpu)?;
    }
    exit_on_stdin_eof();
    match args[..] {
        ["raw"] => raw(),
        ["c-echo"] => c_echo(None),
        ["c-echo-unix", path] => c_echo(Some(path)),
        ["peer-netlink"] => {
            let server = Server::bind_netlink(demo::methods(), ServerOptions::new())?;
            announce(server.port().expect("netlink port"));
            server.serve()
        }
        ["peer-unix", path] => {
            let path = PathBuf::from(path);
            let _ = std::fs::remove_file(&path);
            let server = Server::bind_unix(
                UnixAddr::Path(path.clone()),
                demo::methods(),
                ServerOptions::new(),
            )?;
            announce(path.display());
            server.serve()
        }
        _ => {
            eprintln!(
                "usage: rt_server raw | c-echo | c-echo-unix PATH | peer-netlink | peer-unix PATH"
            );
            std::process::exit(2);
        }
    }
}
