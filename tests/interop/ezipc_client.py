"""The real EZ-IPC client (the tree EZSRC names, unmodified) for the
interop tests.

Usage: EZSRC=TREE ezipc_client.py PORT STEPS_JSON

STEPS_JSON is a list of [kind, method, params] (params: a list or an
object). Runs the reference's own session (Client.run_through: setup,
then the steps, then TERM) and prints one line per step, prefixed
"STEP ", with JSON:

- "call": {"result": ...} or {"error": [code, message]} or {"exception": "..."}
- "notify": {"sent": true}

and last "END " with {"secure": <whether the connection was encrypted>}.
"""
import asyncio
import json
import os
import sys

sys.path.insert(0, os.environ["EZSRC"])

from ezipc.client import Client, RemoteError  # noqa: E402
from ezipc.util import set_verbosity  # noqa: E402

set_verbosity(0)
PORT = int(sys.argv[1])
STEPS = json.loads(sys.argv[2])


def emit(prefix, value):
    print(prefix, json.dumps(value), flush=True)


async def steps(client):
    remote = client.remote
    for kind, method, params in STEPS:
        if kind == "notify":
            await remote.notif(method, params)
            emit("STEP", {"sent": True})
            continue
        try:
            if hasattr(remote, "request_wait"):  # 31bfe9e and older
                result = await remote.request_wait(
                    method, params, timeout=4, raise_remote_err=True
                )
            else:
                result = await remote.request(method, params, timeout=4)
            emit("STEP", {"result": result})
        except RemoteError as e:
            emit("STEP", {"error": [e.args[0], e.args[1]]})
        except Exception as e:  # a timeout, for one
            emit("STEP", {"exception": f"{type(e).__name__}: {e}"})
    emit("END", {"secure": bool(getattr(remote, "is_secure", False))})


loop = asyncio.get_event_loop()
loop.run_until_complete(Client("127.0.0.1", PORT).run_through(steps, loop=loop))
