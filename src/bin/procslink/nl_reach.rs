//! How `procslink nl` reaches a family on this kernel: the socket of its
//! protocol and, for generic netlink, what nlctrl says of it (id,
//! version, operations and their capabilities, multicast groups).

use procslink::families::{Family, Operation, Protocol as FamilyProtocol};
use procslink::kernel::{KernelSocket, Protocol, SocketOptions};
use procslink::netlink::Message;
use procslink::netlink::display::Protocol as Decoding;
use procslink::netlink::genl::{self, family_request};

use crate::Failure;

/// `ENOENT`: nlctrl's answer for a family the kernel lacks.
const ENOENT: i32 = 2;

/// A family as this kernel has it: how to reach it and name its messages.
pub struct Reached {
    pub spec: &'static Family,
    pub protocol: Protocol,
    pub decoding: Decoding,
    /// The generic netlink id, version and kernel's description.
    pub genl: Option<GenlFamily>,
}

/// What nlctrl said of a generic netlink family.
pub struct GenlFamily {
    pub id: u16,
    pub version: u8,
    /// Commands the kernel accepts and their `CTRL_ATTR_OP_FLAGS` (empty
    /// when it did not list them).
    pub ops: Vec<(u32, u32)>,
    pub groups: Vec<(String, u32)>,
}

/// The socket of the family's protocol.
pub fn open(spec: &'static Family) -> Result<KernelSocket, Failure> {
    let protocol = match spec.protocol() {
        FamilyProtocol::NetlinkRaw { protonum } => Protocol(u32::from(protonum)),
        FamilyProtocol::Genetlink { .. } => Protocol::GENERIC,
    };
    KernelSocket::open_with(protocol, SocketOptions::new()).map_err(|e| {
        Failure::msg(format!(
            "cannot open a netlink socket of protocol {}: {e}",
            protocol.number()
        ))
    })
}

/// Resolves a generic netlink family through nlctrl; a netlink-raw family
/// (rtnetlink's, or another protocol's such as conntrack and nftables on
/// `NETLINK_NETFILTER`) needs nothing.
pub fn reach(spec: &'static Family, socket: &mut KernelSocket) -> Result<Reached, Failure> {
    let FamilyProtocol::Genetlink { name, version } = spec.protocol() else {
        return Ok(Reached {
            spec,
            protocol: socket.protocol(),
            decoding: if socket.protocol() == Protocol::ROUTE {
                Decoding::Route
            } else {
                Decoding::Other
            },
            genl: None,
        });
    };
    let mut buf = [0u8; 256];
    let len = family_request(&mut buf, 0, name)
        .map_err(|e| Failure::msg(format!("cannot ask nlctrl for {name}: {e}")))?;
    let mut found: Option<Result<GenlFamily, String>> = None;
    let asked = socket.request_with(buf.get(..len).unwrap_or(&[]), |msg| {
        found = Some(describe(msg, version));
    });
    match asked {
        Ok(_) => {}
        Err(e) if e.errno() == Some(ENOENT) => {
            return Err(Failure::msg(format!(
                "this kernel has no generic netlink family {name:?} (not built or its module not loaded)"
            )));
        }
        Err(e) => {
            return Err(Failure::msg(format!(
                "cannot look up family {name:?} through nlctrl: {e}"
            )));
        }
    }
    let genl = match found {
        Some(Ok(f)) => f,
        Some(Err(e)) => {
            return Err(Failure::msg(format!(
                "nlctrl's answer for {name:?} is malformed: {e}"
            )));
        }
        None => {
            return Err(Failure::msg(format!(
                "nlctrl did not describe family {name:?}"
            )));
        }
    };
    Ok(Reached {
        spec,
        protocol: socket.protocol(),
        decoding: Decoding::Generic,
        genl: Some(genl),
    })
}

/// What nlctrl's answer says of a family: its id, commands and groups.
fn describe(msg: &Message<'_>, version: u8) -> Result<GenlFamily, String> {
    let f = genl::Family::parse(msg).map_err(|e| e.to_string())?;
    let ops = f.ops().map(|o| o.map(|o| (o.id, o.flags)));
    let groups = f.groups().map(|g| g.map(|g| (g.name.to_string(), g.id)));
    Ok(GenlFamily {
        id: f.id(),
        version,
        ops: ops.collect::<Result<_, _>>().map_err(|e| e.to_string())?,
        groups: groups
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?,
    })
}

/// `GENL_CMD_CAP_DO` and `GENL_CMD_CAP_DUMP` of `CTRL_ATTR_OP_FLAGS`.
const CAP_DO: u32 = 0x2;
const CAP_DUMP: u32 = 0x4;

/// Does this kernel's generic netlink family have `op`, in the mode
/// asked? (Kernels that list no capabilities are taken at their word.)
pub fn kernel_has(reached: &Reached, op: &Operation, dump: bool) -> Result<(), Failure> {
    let Some(g) = &reached.genl else {
        return Ok(());
    };
    let request = u32::from(op.request().unwrap_or(0));
    if g.ops.is_empty() {
        return Ok(());
    }
    let name = reached.spec.name();
    let Some(&(_, flags)) = g.ops.iter().find(|(id, _)| *id == request) else {
        return Err(Failure::msg(format!(
            "this kernel's {name} family lacks operation {} (command {request})",
            op.name()
        )));
    };
    let (needed, mode) = if dump {
        (CAP_DUMP, "dumped")
    } else {
        (CAP_DO, "done")
    };
    if flags & (CAP_DO | CAP_DUMP) != 0 && flags & needed == 0 {
        return Err(Failure::msg(format!(
            "this kernel's {name} family has operation {} but it cannot be {mode} here",
            op.name()
        )));
    }
    Ok(())
}
