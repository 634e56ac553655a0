"""Reference ProcsLink (procslink 0.1.2) client for the interop tests.

Usage: py_client.py PORT SCRIPT_JSON

SCRIPT_JSON is a list of [kind, method, params] (params: a list, an object
or null). Prints one JSON line per step:

- "call": through the reference client (RPCPeer.talk_to); prints
  {"result": ...} or {"exception": "..."}.
- "raw": sends the request with the next id through the reference's message
  classes and prints {"response": <parsed>, "same_bytes": <whether Python
  re-serialising the response gives the bytes received>}.
- "notify": sends a notification; prints {"sent": true}.
"""
import json
import sys

from procslink import RPCPeer
from procslink.jsonrpc import JSONRPCRequest
from procslink.netlink import NetlinkMessage, NetlinkMessageHeader
from procslink.procslink import ProcslinkMessage, ProcslinkMessageHeader


def send(peer, port, request):
    body = ProcslinkMessage(
        ProcslinkMessageHeader(payload_type=ProcslinkMessageHeader.PAYLOAD_TYPE_JSONRPC2_REQUEST),
        request.to_bytes())
    datagram = NetlinkMessage(NetlinkMessageHeader(nlmsg_pid=peer.nl_pid), body.to_bytes())
    peer.socket.sendto(datagram.to_bytes(), (port, 0))


def main():
    port = int(sys.argv[1])
    script = json.loads(sys.argv[2])
    peer = RPCPeer(registered_functions={})
    peer.socket.settimeout(5)
    next_id = 1000
    for kind, method, params in script:
        if kind == "call":
            channel = peer.talk_to(port)
            try:
                if isinstance(params, list):
                    result = getattr(channel, method)(*params)
                elif isinstance(params, dict):
                    result = getattr(channel, method)(**params)
                else:
                    result = getattr(channel, method)()
                out = {"result": result}
            except Exception as e:  # the reference raises odd things
                out = {"exception": "%s: %s" % (type(e).__name__, e)}
        elif kind == "raw":
            next_id += 1
            send(peer, port, JSONRPCRequest(next_id, method, params))
            data, addr = peer.socket.recvfrom(NetlinkMessageHeader.MESSAGE_SIZE_LIMIT)
            netlink = NetlinkMessage.from_bytes(data)
            body = ProcslinkMessage.from_bytes(netlink.payload)
            text = body.payload.decode("utf-8")
            parsed = json.loads(text)
            out = {
                "response": parsed,
                "same_bytes": json.dumps(parsed).encode("utf-8") == body.payload,
                "from_port": addr[0],
                "nlmsg_pid": netlink.header.nlmsg_pid,
                "payload_type": body.header.payload_type,
            }
        elif kind == "notify":
            send(peer, port, JSONRPCRequest(None, method, params, is_notification=True))
            out = {"sent": True}
        else:
            raise SystemExit("unknown step kind %r" % kind)
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
