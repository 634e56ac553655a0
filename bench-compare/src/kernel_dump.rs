//! Dumping the kernel's route and link tables (BENCHMARKS.md, "Kernel
//! dumps"), used by `benches/kernel_dump.rs`: a throw-away network
//! namespace filled with veth pairs and routes, the dump requests, the
//! crate's dump-and-decode loop and the raw C floor (`c/kernel_dump.c`).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Write as _};
use std::net::Ipv4Addr;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use procslink::families::{
    rt_link::{self, Ifinfomsg},
    rt_route::{self, Rtmsg},
};
use procslink::kernel::KernelSocket;
use procslink::netlink::{Builder, Message, flags::Flags};
use rustix::thread::{LinkNameSpaceType, move_into_link_name_space};

/// Where `ip netns add` binds the namespaces it names.
const NETNS_DIR: &str = "/var/run/netns";
/// The prefix of the namespaces the bench makes; the process id follows.
pub const NETNS_PREFIX: &str = "procslink-bench-";

/// The two tables dumped.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Table {
    /// RTM_GETROUTE, every table and family (an all-zero `rtmsg`), as
    /// `procslink dump route` and `ip route show table all` ask.
    Route,
    /// RTM_GETLINK with `IFLA_EXT_MASK = RTEXT_FILTER_VF`, as `ip link`
    /// and `procslink dump link` ask.
    Link,
}

impl Table {
    /// The name on the command lines.
    pub fn name(self) -> &'static str {
        match self {
            Table::Route => "route",
            Table::Link => "link",
        }
    }

    /// The dump request (sequence number 0: the socket sets its own).
    pub fn request(self) -> Vec<u8> {
        let mut buf = [0u8; 64];
        let mut b = Builder::new(&mut buf);
        let ty = match self {
            Table::Route => rt_route::RTM_GETROUTE,
            Table::Link => rt_link::RTM_GETLINK,
        };
        let mut m = b.message(ty, Flags::REQUEST, 0, 0).expect("header");
        match self {
            Table::Route => m.family_header(&Rtmsg::default()).expect("rtmsg"),
            Table::Link => {
                m.family_header(&Ifinfomsg::default()).expect("ifinfomsg");
                m.put_u32(rt_link::IFLA_EXT_MASK, rt_link::RtextFilter::VF.bits())
                    .expect("IFLA_EXT_MASK");
            }
        }
        m.finish().expect("finish");
        b.as_bytes().to_vec()
    }

    /// `ip`'s arguments for the same dump.
    pub fn ip_args(self) -> &'static [&'static str] {
        match self {
            Table::Route => &["-j", "route", "show", "table", "all"],
            Table::Link => &["-j", "link", "show"],
        }
    }
}

/// What a dump read: messages, and a fold of the fields decoded (so that
/// nothing read can be optimised away, and contenders can be compared).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Decoded {
    /// Objects (routes or links) decoded.
    pub messages: u64,
    /// A fold of the fields read.
    pub fold: u64,
}

fn mix(h: u64, v: u64) -> u64 {
    (h ^ v).wrapping_mul(0x0100_0000_01b3)
}

/// Up to the first 8 bytes of an address, as a number.
fn addr_bits(bytes: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    let n = bytes.len().min(8);
    a[..n].copy_from_slice(&bytes[..n]);
    u64::from_ne_bytes(a) ^ bytes.len() as u64
}

/// Decodes one route as a user reads it: the `rtmsg`, then every
/// attribute, keeping destination, gateway, output interface and table.
pub fn decode_route(msg: &Message<'_>, d: &mut Decoded) -> Result<(), procslink::Error> {
    let (rtm, attrs) = msg.family_header::<Rtmsg>()?;
    let mut table = u32::from(rtm.rtm_table);
    let (mut dst, mut gateway): (&[u8], &[u8]) = (&[], &[]);
    let mut oif = 0u32;
    for attr in attrs {
        let attr = attr?;
        match attr.kind() {
            rt_route::RTA_DST => dst = attr.payload(),
            rt_route::RTA_GATEWAY => gateway = attr.payload(),
            rt_route::RTA_OIF => oif = attr.u32()?,
            rt_route::RTA_TABLE => table = attr.u32()?,
            _ => {}
        }
    }
    d.messages += 1;
    let h = mix(d.fold, addr_bits(dst) ^ u64::from(rtm.rtm_dst_len));
    let h = mix(h, addr_bits(gateway));
    d.fold = mix(h, u64::from(oif) << 32 | u64::from(table));
    Ok(())
}

/// Decodes one link: the `ifinfomsg`, then every attribute, keeping
/// name, MTU, hardware address and operational state.
pub fn decode_link(msg: &Message<'_>, d: &mut Decoded) -> Result<(), procslink::Error> {
    let (ifi, attrs) = msg.family_header::<Ifinfomsg>()?;
    let (mut name, mut address): (&[u8], &[u8]) = (&[], &[]);
    let (mut mtu, mut operstate) = (0u32, 0u8);
    for attr in attrs {
        let attr = attr?;
        match attr.kind() {
            rt_link::IFLA_IFNAME => name = attr.bytes_str(),
            rt_link::IFLA_MTU => mtu = attr.u32()?,
            rt_link::IFLA_ADDRESS => address = attr.payload(),
            rt_link::IFLA_OPERSTATE => operstate = attr.u8()?,
            _ => {}
        }
    }
    d.messages += 1;
    let h = mix(d.fold, addr_bits(name));
    let h = mix(h, addr_bits(address));
    d.fold = mix(
        h,
        u64::from(mtu) << 32 | u64::from(operstate) << 24 | u64::from(ifi.ifi_index.get() as u32),
    );
    Ok(())
}

/// The crate's contender: one dump through [`KernelSocket::dump`], every
/// message decoded as it is read from the socket's one buffer.
pub fn crate_dump(socket: &mut KernelSocket, table: Table, request: &[u8]) -> Decoded {
    let mut d = Decoded::default();
    let mut dump = socket.dump(request).expect("dump request");
    while let Some(msg) = dump.next() {
        let msg = msg.expect("dump message");
        match table {
            Table::Route => decode_route(&msg, &mut d),
            Table::Link => decode_link(&msg, &mut d),
        }
        .expect("decode");
    }
    d
}

mod sys {
    unsafe extern "C" {
        pub fn raw_dump_open() -> i32;
        pub fn raw_dump_close(fd: i32);
        pub fn raw_dump(
            fd: i32,
            req: *const u8,
            req_len: usize,
            seq: u32,
            buf: *mut u8,
            cap: usize,
            messages: *mut u64,
            bytes: *mut u64,
        ) -> i32;
    }
}

/// The floor (`c/kernel_dump.c`): a NETLINK_ROUTE socket that sends the
/// request and receives until `NLMSG_DONE`, into a 32 KiB buffer, reading
/// only message headers.
pub struct RawDump {
    fd: i32,
    seq: u32,
    buf: Vec<u8>,
}

impl RawDump {
    /// Opens the socket (in the calling thread's network namespace).
    pub fn open() -> io::Result<Self> {
        // SAFETY: plain socket calls; the descriptor is owned by `RawDump`.
        let fd = unsafe { sys::raw_dump_open() };
        if fd < 0 {
            return Err(io::Error::from_raw_os_error(-fd));
        }
        Ok(RawDump {
            fd,
            seq: 0,
            buf: vec![0; 32 * 1024],
        })
    }

    /// One dump: (messages, bytes received).
    pub fn dump(&mut self, request: &[u8]) -> io::Result<(u64, u64)> {
        self.seq = self.seq.wrapping_add(1);
        let (mut messages, mut bytes) = (0, 0);
        // SAFETY: the C code reads `request[..len]`, writes only
        // `buf[..cap]` and the two counters.
        let r = unsafe {
            sys::raw_dump(
                self.fd,
                request.as_ptr(),
                request.len(),
                self.seq,
                self.buf.as_mut_ptr(),
                self.buf.len(),
                &mut messages,
                &mut bytes,
            )
        };
        if r < 0 {
            return Err(io::Error::from_raw_os_error(-r));
        }
        Ok((messages, bytes))
    }
}

impl Drop for RawDump {
    fn drop(&mut self) {
        // SAFETY: the descriptor is ours and closed once.
        unsafe { sys::raw_dump_close(self.fd) }
    }
}

/// A named network namespace (`ip netns add`), deleted when dropped, even
/// when the bench panics.
pub struct Netns {
    name: String,
}

fn ip(args: &[&str], stdin: Option<&str>) -> io::Result<()> {
    let mut cmd = Command::new("ip");
    cmd.args(args).stdout(Stdio::null()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn()?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if out.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

impl Netns {
    /// Creates namespace `procslink-bench-<pid>-<tag>`, first deleting
    /// those left by bench processes that no longer exist (killed before
    /// their guard ran).
    pub fn create(tag: &str) -> io::Result<Self> {
        remove_stale();
        let name = format!("{NETNS_PREFIX}{}-{tag}", std::process::id());
        ip(&["netns", "add", &name], None)?;
        Ok(Netns { name })
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Fills it with `veths` veth pairs (both ends up, one end with a /30)
    /// and `routes` routes over them, through `ip -batch`; IPv6 is turned
    /// off first so that no address configuration changes the tables
    /// while they are timed.
    pub fn fill(&self, veths: usize, routes: usize) -> io::Result<()> {
        let sysctl = |key: &str| {
            let status = Command::new("ip")
                .args(["netns", "exec", &self.name, "sysctl", "-q", "-w"])
                .arg(format!("{key}=1"))
                .stdout(Stdio::null())
                .status()?;
            if status.success() {
                Ok(())
            } else {
                Err(io::Error::other(format!("sysctl {key} in {}", self.name)))
            }
        };
        sysctl("net.ipv6.conf.all.disable_ipv6")?;
        sysctl("net.ipv6.conf.default.disable_ipv6")?;
        ip(
            &["-n", &self.name, "-batch", "-"],
            Some(&fill_script(veths, routes)),
        )
    }

    /// Moves the calling thread into the namespace: the sockets it opens
    /// next, and the processes it starts, are in it.
    pub fn enter(&self) -> io::Result<()> {
        let path = PathBuf::from(NETNS_DIR).join(&self.name);
        enter_file(&File::open(path)?)
    }
}

/// Moves the calling thread into the network namespace of `ns` (a
/// namespace file: `/var/run/netns/NAME`, `/proc/thread-self/ns/net`).
pub fn enter_file(ns: &File) -> io::Result<()> {
    move_into_link_name_space(ns.as_fd(), Some(LinkNameSpaceType::Network)).map_err(Into::into)
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Err(e) = ip(&["netns", "del", &self.name], None) {
            eprintln!("kernel_dump: could not delete network namespace: {e}");
        }
    }
}

/// Deletes the `procslink-bench-<pid>-…` namespaces whose process is gone.
fn remove_stale() {
    let Ok(dir) = std::fs::read_dir(NETNS_DIR) else {
        return;
    };
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(NETNS_PREFIX) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        if pid.parse::<u32>().is_ok() && !PathBuf::from("/proc").join(pid).exists() {
            let _ = ip(&["netns", "del", &name], None);
        }
    }
}

/// The largest table [`fill_script`] makes: /26 prefixes of 10.0.0.0/8.
pub const MAX_ROUTES: usize = 1 << 18;

/// `ip -batch` lines: `veths` pairs `pbNa`/`pbNb`, both ends up, `pbNa`
/// with 172.16.0.0/12 address `4N+1/30`; then `routes` /26 routes in
/// 10.0.0.0/8, route `i` over `pb(i mod veths)a`, every other one through
/// the gateway `4N+2` on that link.
pub fn fill_script(veths: usize, routes: usize) -> String {
    assert!((1..=1 << 16).contains(&veths), "1 to 65536 veth pairs");
    assert!(routes <= MAX_ROUTES, "at most {MAX_ROUTES} routes");
    let v4 = |n: u32| Ipv4Addr::from(n);
    let base = u32::from(Ipv4Addr::new(172, 16, 0, 0));
    let mut s = String::with_capacity(64 * (routes + 3 * veths));
    s.push_str("link set lo up\n");
    for i in 0..veths {
        let _ = writeln!(s, "link add pb{i}a type veth peer name pb{i}b");
    }
    for i in 0..veths {
        let _ = writeln!(s, "link set pb{i}a up\nlink set pb{i}b up");
        let _ = writeln!(s, "addr add {}/30 dev pb{i}a", v4(base + 4 * i as u32 + 1));
    }
    let ten = u32::from(Ipv4Addr::new(10, 0, 0, 0));
    for r in 0..routes {
        let i = r % veths;
        let dst = v4(ten + 64 * r as u32);
        if r % 2 == 0 {
            let _ = writeln!(s, "route add {dst}/26 dev pb{i}a");
        } else {
            let gw = v4(base + 4 * i as u32 + 2);
            let _ = writeln!(s, "route add {dst}/26 via {gw} dev pb{i}a");
        }
    }
    s
}
