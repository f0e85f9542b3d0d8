"""The treasury's funds request service as a SOAP 1.1 endpoint on loopback (wsgiref + lxml).

``POST /ifms`` takes ``RequestFunds`` (``chalicelib/wsdl/ifms_funds.wsdl``) and answers a reference,
the same one for a repeated request id. ``GET /ifms?wsdl`` serves the WSDL. A request whose total
does not equal the sum of its lines gets a SOAP fault, as the treasury would refuse it.

    python -m devstack.ifms.server --port 8091
"""

from __future__ import annotations

import argparse
import hashlib
import threading
import time
from pathlib import Path

from lxml import etree

from devstack.httpserver import LoopbackServer

NS = "urn:uz:mof:ifms:funds:v1"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSDL = Path(__file__).resolve().parents[2] / "chalicelib" / "wsdl" / "ifms_funds.wsdl"


def _envelope(inner: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{SOAP}"><soap:Body>{inner}'
            f"</soap:Body></soap:Envelope>").encode()


def _fault(message: str) -> bytes:
    return _envelope(f"<soap:Fault><faultcode>soap:Client</faultcode><faultstring>{message}</faultstring></soap:Fault>")


class IfmsServer:
    def __init__(self, port: int = 0) -> None:
        self.requests: dict[str, tuple[str, int]] = {}  # requestId -> (reference, total)
        self.calls = 0
        self._lock = threading.Lock()
        self._server = LoopbackServer(self._handle, port)

    @property
    def url(self) -> str:
        return self._server.url + "/ifms"

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str, bytes]:
        if method == "GET" and path.startswith("/ifms") and "wsdl" in path:
            return 200, "text/xml", WSDL.read_bytes()
        if method != "POST" or path != "/ifms":
            return 404, "text/plain", b"no such endpoint"
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        try:
            root = etree.fromstring(body, parser)
        except etree.XMLSyntaxError:
            return 500, "text/xml", _fault("not well-formed XML")
        req = root.find(f".//{{{NS}}}RequestFunds")
        if req is None:
            return 500, "text/xml", _fault("unknown operation")
        request_id = req.findtext(f"{{{NS}}}requestId") or ""
        total = int(req.findtext(f"{{{NS}}}totalAmount") or "0")
        lines = sum(int(x.findtext(f"{{{NS}}}amount") or "0") for x in req.iterfind(f"{{{NS}}}line"))
        if lines != total:
            return 500, "text/xml", _fault("totalAmount does not equal the sum of the lines")
        with self._lock:
            self.calls += 1
            if request_id not in self.requests:
                ref = "IFMS-" + hashlib.sha256(request_id.encode()).hexdigest()[:12].upper()
                self.requests[request_id] = (ref, total)
            ref, _ = self.requests[request_id]
        return 200, "text/xml", _envelope(
            f'<RequestFundsResponse xmlns="{NS}"><requestId>{request_id}</requestId>'
            f"<reference>{ref}</reference><status>accepted</status></RequestFundsResponse>")

    def start(self) -> IfmsServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8091)
    args = parser.parse_args()
    server = IfmsServer(args.port).start()
    print(f"IFMS stub on {server.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
