"""JSON-RPC requests through the real osbuild jsoncomm module, for the
interop tests.

Usage: jsoncomm_rpc_client.py JSONCOMM_DIR SOCKET REQUESTS_JSON

JSONCOMM_DIR holds jsoncomm.py (imported as it is). REQUESTS_JSON is a list
of JSON-RPC request documents; each is sent with jsoncomm.Socket.send to
SOCKET together with a pipe whose content is "pipe for METHOD". For each
request with an id, prints one JSON line: {"reply": <the document
jsoncomm.Socket.recv returned>, "fd_texts": [<content of each descriptor
that came with it>]}.
"""
import json
import os
import sys

sys.path.insert(0, sys.argv[1])
import jsoncomm  # noqa: E402

client = jsoncomm.Socket.new_client(sys.argv[2])
client._socket.settimeout(5)
for request in json.loads(sys.argv[3]):
    r, w = os.pipe()
    os.write(w, ("pipe for %s" % request.get("method")).encode())
    os.close(w)
    client.send(request, fds=[r])
    os.close(r)
    if "id" not in request:
        continue
    reply, fds, _ = client.recv()
    texts = []
    for i in range(len(fds)):
        with os.fdopen(fds.steal(i)) as f:
            texts.append(f.read())
    print(json.dumps({"reply": reply, "fd_texts": texts}), flush=True)
client.close()
