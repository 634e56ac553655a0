"""The real EZ-IPC (the tree EZSRC names) for the seed_ezipc bench.

  ezipc_bench.py server PORT        serves ADD (the sum of its params, in a
                                    list, as the reference's own demo does)
  ezipc_bench.py client PORT CALLS  runs the reference client's session and
                                    times CALLS calls of ADD [2, 40] one
                                    after the other; prints
                                    "NS_PER_CALL <mean>"

Both run with the reference's output turned off (set_verbosity(0)), so
that logging is not what is timed. The server exits when its stdin closes.
"""
import asyncio
import os
import sys
import threading
import time

sys.path.insert(0, os.environ["EZSRC"])

from ezipc.util import set_verbosity  # noqa: E402

set_verbosity(0)
MODE, PORT = sys.argv[1], int(sys.argv[2])


def serve():
    from ezipc.server import Server

    serv = Server("127.0.0.1", PORT)

    @serv.hook_request("ADD")
    async def add(data, remote):
        return [sum(data)]

    def watch_stdin():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    serv.setup()
    loop = asyncio.get_event_loop()
    loop.run_until_complete(serv.run(loop))
    loop.run_forever()


def call(calls):
    from ezipc.client import Client

    async def go(client):
        remote = client.remote
        for _ in range(min(calls, 500)):
            assert await remote.request("ADD", [2, 40], timeout=4) == [42]
        start = time.perf_counter_ns()
        for _ in range(calls):
            await remote.request("ADD", [2, 40], timeout=4, quiet=True)
        elapsed = time.perf_counter_ns() - start
        print("NS_PER_CALL", elapsed / calls, flush=True)

    loop = asyncio.get_event_loop()
    loop.run_until_complete(Client("127.0.0.1", PORT).run_through(go, loop=loop))


if MODE == "server":
    serve()
else:
    call(int(sys.argv[3]))
