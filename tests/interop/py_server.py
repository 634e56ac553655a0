"""Reference ProcsLink (procslink 0.1.2) server for the interop tests.

Usage: py_server.py NOTIFY_LOG

Prints its nl_pid on the first line, then serves hello, add, echo, ping,
fail and notify_me forever. notify_me appends its arguments, as one JSON
line, to NOTIFY_LOG.
"""
import json
import sys

from procslink import RPCPeer


class API(object):
    def __init__(self, log_path):
        self._log_path = log_path

    def hello(self, name):
        return "Hello, %s!" % name

    def add(self, a, b):
        return a + b

    def echo(self, value):
        return value

    def ping(self):
        return "pong"

    def fail(self, *args, **kwargs):
        raise ValueError("boom: \u00e9t\u00e9")

    def notify_me(self, *args, **kwargs):
        with open(self._log_path, "a") as log:
            log.write(json.dumps({"args": list(args), "kwargs": kwargs}) + "\n")
        return None


def main():
    peer = RPCPeer(registered_functions={})
    peer.register_functions_in_object(API(sys.argv[1]))
    sys.stdout.write("%d\n" % peer.nl_pid)
    sys.stdout.flush()
    peer.run_server_forever()


if __name__ == "__main__":
    main()
