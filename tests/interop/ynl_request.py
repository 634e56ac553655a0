"""Sends one request with the kernel's own ynl library (tools/net/ynl/lib
of a kernel source tree) and prints one line per reply message: the dict
ynl builds for it (its attributes, then its fixed header), as
`ynl --output-json` encodes it (bytes as hex), with sets (flag names) as
sorted lists since a set has no order. A bare acknowledgement prints
nothing; a refusal prints {"ynl-error": TEXT} and exits 1.

usage: ynl_request.py YNL_DIR SPEC_YAML do|dump OP ATTRS_JSON

Run it inside the network namespace to ask (`ip netns exec NAME ...`).
"""

import ipaddress
import json
import sys


def main():
    ynl_dir, spec, mode, op, attrs = sys.argv[1:6]
    sys.path.insert(0, ynl_dir)
    from lib import YnlFamily  # noqa: E402

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

    try:
        if mode == 'dump':
            replies = ynl.dump(op, json.loads(attrs))
        else:
            replies = ynl.do(op, json.loads(attrs))
    except Exception as e:  # pylint: disable=broad-except
        print(json.dumps({'ynl-error': f'{type(e).__name__}: {e}'}))
        sys.exit(1)
    if replies is None:
        replies = []
    elif isinstance(replies, dict):
        replies = [replies]
    for reply in replies:
        print(json.dumps(reply, default=encode))


if __name__ == '__main__':
    main()
