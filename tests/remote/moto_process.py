"""A moto S3 server on a free loopback port, in its own process (so a test can stop,
pause or kill it). Prints ``port <n>`` once it listens, then serves until stdin closes."""

from __future__ import annotations

import sys

from moto.server import ThreadedMotoServer


def main() -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    print(f"port {port}", flush=True)
    sys.stdin.read()  # the test closing our stdin (or dying) ends the server
    server.stop()


if __name__ == "__main__":
    main()
