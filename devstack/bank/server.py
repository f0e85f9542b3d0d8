"""The local bank over HTTP on loopback: ``POST /pain001`` answers a pain.002; ``POST /notify`` sends
the pending camt.054 notifications, signed, to the registry's ``POST /bank/callbacks``.

    python -m devstack.bank.server --port 8092 --callback http://127.0.0.1:8000/bank/callbacks
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.request

from chalicelib import iso20022
from devstack.bank.simulator import BankSimulator
from devstack.httpserver import LoopbackServer


def post(url: str, headers: dict[str, str], body: bytes, timeout: float = 120.0) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


class BankServer:
    def __init__(self, simulator: BankSimulator | None = None, *, callback_url: str | None = None,
                 port: int = 0) -> None:
        self.simulator = simulator or BankSimulator()
        self.callback_url = callback_url
        self._server = LoopbackServer(self._handle, port)

    @property
    def url(self) -> str:
        return self._server.url

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        if method == "GET" and path == "/health":
            return 200, "application/json", b'{"status":"ok"}'
        if method == "POST" and path == "/pain001":
            try:
                return 200, "application/xml", self.simulator.receive(body)
            except iso20022.MalformedMessage as err:
                return 400, "text/plain", str(err).encode()
        if method == "POST" and path == "/notify":
            statuses = self.notify()
            return 200, "application/json", json.dumps({"delivered": statuses}).encode()
        return 404, "text/plain", b"no such endpoint"

    def notify(self) -> list[int]:
        if not self.callback_url:
            return []
        url = self.callback_url
        return self.simulator.deliver(lambda headers, body: post(url, headers, body))

    def start(self) -> BankServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8092)
    parser.add_argument("--callback", default="http://127.0.0.1:8000/bank/callbacks")
    parser.add_argument("--reject-rate", type=float, default=0.02)
    parser.add_argument("--return-rate", type=float, default=0.01)
    args = parser.parse_args()
    server = BankServer(BankSimulator(reject_rate=args.reject_rate, return_rate=args.return_rate),
                        callback_url=args.callback, port=args.port).start()
    print(f"bank stub on {server.url}; POST /notify to send camt.054 callbacks", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
