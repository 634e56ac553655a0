"""The reference side of benches/seed_jsoncomm.rs: round trips between the
real osbuild jsoncomm module (jsoncomm.py, imported as it is) as client
and as server, in two processes.

    jsoncomm_rt.py JSONCOMM_DIR server PATH      # prints "ready", echoes
    jsoncomm_rt.py JSONCOMM_DIR client PATH N    # N timed round trips

The server answers each {"jsonrpc": "2.0", "method": "echo", "params":
[x], "id": i} with {"jsonrpc": "2.0", "result": x, "id": i} and exits when
its stdin reaches end of file. The client checks every answer, warms up
with N // 10 round trips, times the N round trips with
time.perf_counter_ns and prints one JSON line: {"calls", "p50_ns",
"p99_ns", "calls_per_s"}. Both pin themselves to the CPU in
$PROCSLINK_RT_CPU if it is set.
"""
import json
import os
import sys
import threading
import time

sys.path.insert(0, sys.argv[1])
import jsoncomm  # noqa: E402


def server(path):
    def watch():
        while sys.stdin.buffer.read(64):
            pass
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
    sock = jsoncomm.Socket.new_server(path)
    print("ready", flush=True)
    while True:
        msg, _, addr = sock.recv()
        sock.send({"jsonrpc": "2.0", "result": msg["params"][0], "id": msg["id"]},
                  destination=addr)


def client(path, n):
    sock = jsoncomm.Socket.new_client(path)

    def call(i):
        sock.send({"jsonrpc": "2.0", "method": "echo", "params": ["Rust"], "id": i})
        reply, _, _ = sock.recv()
        assert reply == {"jsonrpc": "2.0", "result": "Rust", "id": i}, reply

    for i in range(n // 10):
        call(i)
    times = []
    clock = time.perf_counter_ns
    start = clock()
    for i in range(n):
        t = clock()
        call(i)
        times.append(clock() - t)
    total = clock() - start
    times.sort()
    print(json.dumps({
        "calls": n,
        "p50_ns": times[n // 2],
        "p99_ns": times[min(n - 1, n * 99 // 100)],
        "calls_per_s": n * 1e9 / total,
    }), flush=True)


cpu = os.environ.get("PROCSLINK_RT_CPU")
if cpu is not None:
    os.sched_setaffinity(0, {int(cpu)})
if sys.argv[2] == "server":
    server(sys.argv[3])
else:
    client(sys.argv[3], int(sys.argv[4]))
