"""A pyroute2 0.2.x client driven by tests/peer_pyroute2.rs: connects
IPRoute(host=URL), lists the links, asks for a link that does not exist
(the broker must pass the kernel's refusal back), lists the addresses, and
prints one line per step.

    python pyroute2_client.py URL
"""

import sys

from pyroute2 import IPRoute
from pyroute2.netlink import NetlinkError

ipr = IPRoute(host=sys.argv[1])
try:
    links = ipr.get_links()
    print("links", sorted((l["index"], l.get_attr("IFLA_IFNAME")) for l in links), flush=True)
    try:
        ipr.get_links(0x7FFFFFF0)
        print("missing link: no error", flush=True)
    except NetlinkError as e:
        print("missing link: errno", e.code, flush=True)
    print("addrs", len(ipr.get_addr()), flush=True)
finally:
    ipr.release()
