"""Decodes a file of kernel netlink messages with the kernel's own ynl
library (tools/net/ynl/lib of a kernel source tree) and prints one line
per message: the dict ynl builds for a reply (its attributes, then its
fixed header), as `ynl --output-json` encodes it (bytes as hex), with
sets (flag names) as sorted lists since a set has no order; `null` for a
control message (ynl prints none); {"ynl-error": TEXT} where ynl fails.

usage: ynl_decode.py YNL_DIR SPEC_YAML FILE

It opens a netlink socket of the family's protocol, as ynl's constructor
does (a generic netlink family is resolved through the running kernel).
"""

import ipaddress
import json
import sys


def main():
    ynl_dir, spec, path = sys.argv[1:4]
    sys.path.insert(0, ynl_dir)
    from lib import YnlFamily  # noqa: E402
    from lib.ynl import NlMsgs  # noqa: E402

    # No schema validation (the specs may be newer than the library), and
    # unknown attributes kept as UnknownAttr(N), as --process-unknown.
    ynl = YnlFamily(spec, schema='', process_unknown=True)

    def encode(obj):
        if isinstance(obj, bytes):
            return obj.hex()
        if isinstance(obj, set):
            return sorted(obj)
        if isinstance(obj, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            return str(obj)
        raise TypeError(repr(obj))

    with open(path, 'rb') as f:
        data = f.read()
    for nl_msg in NlMsgs(data):
        if nl_msg.nl_type in (2, 3):
            print('null')
            continue
        try:
            decoded = ynl.nlproto.decode(ynl, nl_msg, None)
            op = ynl.rsp_by_value[decoded.cmd()]
            attrs = ynl._decode(decoded.raw_attrs, op.attr_set.name)
            if op.fixed_header:
                attrs.update(ynl._decode_struct(decoded.raw, op.fixed_header))
            print(json.dumps(attrs, default=encode))
        except Exception as e:  # pylint: disable=broad-except
            print(json.dumps({'ynl-error': f'{type(e).__name__}: {e}'}))


if __name__ == '__main__':
    main()
