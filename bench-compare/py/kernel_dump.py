"""pyroute2's side of benches/kernel_dump.rs: dumps the route or link
table of the current network namespace N times with one IPRoute socket,
reading the fields the other contenders read, each dump timed with
time.perf_counter_ns (so the interpreter's start-up is not counted), and
prints one JSON line: the object count, the median and every time.

    python kernel_dump.py route|link ITERATIONS
"""

import json
import statistics
import sys
import time
from importlib.metadata import version

from pyroute2 import IPRoute


def routes(ipr):
    n = 0
    for msg in ipr.get_routes():  # every family and table
        msg.get_attr("RTA_DST")
        msg.get_attr("RTA_GATEWAY")
        msg.get_attr("RTA_OIF")
        msg.get_attr("RTA_TABLE")
        n += 1
    return n


def links(ipr):
    n = 0
    for msg in ipr.get_links():
        msg.get_attr("IFLA_IFNAME")
        msg.get_attr("IFLA_MTU")
        msg.get_attr("IFLA_ADDRESS")
        msg.get_attr("IFLA_OPERSTATE")
        n += 1
    return n


def main():
    what, iterations = sys.argv[1], int(sys.argv[2])
    dump = {"route": routes, "link": links}[what]
    times = []
    with IPRoute() as ipr:
        count = dump(ipr)  # warm-up
        for _ in range(iterations):
            t = time.perf_counter_ns()
            n = dump(ipr)
            times.append(time.perf_counter_ns() - t)
            if n != count:
                sys.exit(f"{what}: {n} objects, then {count}")
    print(json.dumps({
        "what": what,
        "count": count,
        "iterations": iterations,
        "median_ns": statistics.median(times),
        "times_ns": times,
        "pyroute2": version("pyroute2"),
        "python": sys.version.split()[0],
    }))


if __name__ == "__main__":
    main()
