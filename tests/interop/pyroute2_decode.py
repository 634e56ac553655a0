"""Decodes netlink messages with pyroute2's own parsers.

usage: pyroute2_decode.py [MODULE.CLASS] < MESSAGES

Reads netlink messages as the kernel sent them from standard input,
decodes each with the class pyroute2's rtnetlink marshal picks for its
type (RTM_NEWLINK, RTM_NEWADDR, ...), or with MODULE.CLASS for all (a
generic netlink family's message class, such as
pyroute2.netlink.generic.ethtool.ethtool_linkinfo_msg), and prints one
JSON object per message:

    {"type": T, "header": [[name, offset, value], ...], "attrs": [ATTR, ...]}

where ATTR is {"type": N, "name": NAME, "value": VALUE} and VALUE is an
integer, a string (as pyroute2 shows it: addresses, MACs, names), bytes as
{"bytes": HEX}, a list (arrays), or {"fields": [[name, offset, value], ...],
"attrs": [ATTR, ...]} for a struct or a nest. Offsets count from the start
of the payload (after the nlmsghdr or the attribute header); integers are
the values before pyroute2's value maps (no enum names).
"""

import importlib
import json
import struct
import sys

from pyroute2.netlink import NotInitialized
from pyroute2.netlink.rtnl.marshal import MarshalRtnl

NLA_TYPE_MASK = 0x3FFF


def plain(value):
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if value is NotInitialized:
        return None
    return value


def fields(obj):
    out = []
    offset = 0
    for name, fmt in obj.fields:
        if not isinstance(fmt, str):
            break
        size = struct.calcsize(fmt)
        value = obj.get(name, None)
        if value is not None and value != ():
            out.append([name, offset, plain(value)])
        offset += size
    return out


def attr(slot):
    nla = slot.nla
    # The type from the bytes: not every pyroute2 class keeps its header.
    (kind,) = struct.unpack_from("H", nla.data, nla.offset + 2)
    entry = {"type": kind & NLA_TYPE_MASK, "name": slot.name}
    if slot.name == "UNKNOWN":
        payload = nla.data[nla.offset + 4 : nla.offset + nla.length]
        entry["value"] = {"unknown": bytes(payload).hex()}
    else:
        entry["value"] = element(nla)
    return entry


def element(nla):
    value = nla.value
    if isinstance(value, list) and value and hasattr(value[0], "getvalue"):
        return [element(v) for v in value]
    raw = nla["value"] if "value" in nla else NotInitialized
    if isinstance(raw, int) and not isinstance(raw, bool):
        # The number itself, not a name pyroute2 maps it to.
        return raw
    if value is not NotInitialized:
        return plain(value)
    if raw is not NotInitialized:
        return plain(raw)
    return compound(nla)


def compound(nla):
    return {
        "fields": fields(nla),
        "attrs": [attr(s) for s in nla.get("attrs", [])],
    }


def main():
    forced = None
    if len(sys.argv) > 1:
        module, _, name = sys.argv[1].rpartition(".")
        forced = getattr(importlib.import_module(module), name)
    data = sys.stdin.buffer.read()
    offset = 0
    while offset + 16 <= len(data):
        length, kind = struct.unpack_from("IH", data, offset)
        if length < 16 or offset + length > len(data):
            raise SystemExit(f"bad message length {length} at {offset}")
        chunk = data[offset : offset + length]
        offset += (length + 3) & ~3
        cls = forced or MarshalRtnl.msg_map.get(kind)
        if cls is None:
            raise SystemExit(f"pyroute2's rtnetlink marshal has no class for type {kind}")
        msg = cls(chunk)
        msg.decode()
        out = {
            "type": kind,
            "header": fields(msg),
            "attrs": [attr(s) for s in msg.get("attrs", [])],
        }
        print(json.dumps(out))


if __name__ == "__main__":
    main()
