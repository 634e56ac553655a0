"""The reference ProcsLink (procslink 0.1.2) side of benches/roundtrip.rs.

    rt_peer.py server           # prints its nl_pid, serves hello/add/echo
    rt_peer.py client PORT N    # N timed calls of hello("Rust") at PORT

The server exits when its stdin reaches end of file (so it never outlives
the bench). Both pin themselves to the CPU in $PROCSLINK_RT_CPU if it is
set. The client checks every result, warms up with N // 10 calls,
times each of the N calls with time.perf_counter_ns and prints one JSON
line: {"calls", "p50_ns", "p99_ns", "calls_per_s"}.
"""
import json
import os
import sys
import threading
import time

from procslink import RPCPeer


class API(object):
    """The demo methods of the procslink command, as the reference spells
    them (tests/interop/py_server.py)."""

    def hello(self, name):
        return "Hello, %s!" % name

    def add(self, a, b):
        return a + b

    def echo(self, value):
        return value


def exit_on_stdin_eof():
    def watch():
        while sys.stdin.buffer.read(64):
            pass
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def server():
    exit_on_stdin_eof()
    peer = RPCPeer(registered_functions={})
    peer.register_functions_in_object(API())
    sys.stdout.write("%d\n" % peer.nl_pid)
    sys.stdout.flush()
    peer.run_server_forever()


def client(port, n):
    peer = RPCPeer(registered_functions={})
    peer.socket.settimeout(5)
    channel = peer.talk_to(port)
    hello = channel.hello
    for _ in range(max(n // 10, 100)):
        if hello("Rust") != "Hello, Rust!":
            raise SystemExit("wrong result")
    ns = []
    clock = time.perf_counter_ns
    start = clock()
    for _ in range(n):
        t = clock()
        result = hello("Rust")
        ns.append(clock() - t)
        if result != "Hello, Rust!":
            raise SystemExit("wrong result %r" % (result,))
    total = clock() - start
    ns.sort()
    at = lambda q: ns[int(round((len(ns) - 1) * q))]
    print(json.dumps({"calls": n, "p50_ns": at(0.5), "p99_ns": at(0.99),
                      "calls_per_s": n / (total / 1e9)}))


def main():
    cpu = os.environ.get("PROCSLINK_RT_CPU")
    if cpu is not None:
        os.sched_setaffinity(0, {int(cpu)})
    if sys.argv[1:2] == ["server"]:
        server()
    elif sys.argv[1:2] == ["client"] and len(sys.argv) == 4:
        client(int(sys.argv[2]), int(sys.argv[3]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
