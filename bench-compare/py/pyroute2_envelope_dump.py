"""pyroute2 0.2.x's side of benches/seed_pyroute2.rs: connects an
IPRoute(host=URL) client to a broker (pyroute2's own IPRoute.serve, or the
crate's RemoteServer), lists the links through it N times, each
get_links() timed with time.perf_counter_ns inside this process (so the
interpreter's start-up and the connection are not counted), and prints one
JSON line: the link count, the median and every time.

    python pyroute2_envelope_dump.py URL ITERATIONS
"""

import json
import statistics
import sys
import time

from pyroute2 import IPRoute


def main():
    url, iterations = sys.argv[1], int(sys.argv[2])
    ipr = IPRoute(host=url)
    try:
        count = len(ipr.get_links())  # warm up
        times = []
        for _ in range(iterations):
            t = time.perf_counter_ns()
            links = ipr.get_links()
            for link in links:
                link.get_attr("IFLA_IFNAME")
            times.append(time.perf_counter_ns() - t)
            assert len(links) == count
    finally:
        ipr.release()
    print(json.dumps({"links": count, "p50_ns": statistics.median(times), "times_ns": times}))


main()
