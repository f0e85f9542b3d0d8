"""A tiny threaded HTTP server for one agency stub, with switchable faults.

Each agency runs a real HTTP server on loopback (wsgiref + a thread per request) so connectors are
tested through real sockets, timeouts and status codes. Faults are set per agency through
``POST /_faults`` with a JSON body, or at start:

    {"latency_ms": 0,        # added before every answer
     "error_rate": 0.0,      # share of requests answered with a server error (HTTP 500 / SOAP fault)
     "mode": null,           # null | "timeout" | "http_500" | "soap_fault" | "malformed"
     "timeout_s": 3.0,       # how long "timeout" sleeps (longer than the client's timeout)
     "seed": 0}              # seed of the error_rate draw

``GET /_faults`` returns the current setting; ``GET /_health`` answers 200.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

FAULT_MODES = (None, "timeout", "http_500", "soap_fault", "malformed")

Response = tuple[int, str, bytes]
Handler = Callable[[str, str, dict[str, str], bytes], Response]


@dataclass
class Faults:
    latency_ms: int = 0
    error_rate: float = 0.0
    mode: str | None = None
    timeout_s: float = 3.0
    seed: int = 0

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Faults:
        unknown = set(d) - {"latency_ms", "error_rate", "mode", "timeout_s", "seed"}
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        f = cls(**d)
        if f.mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {FAULT_MODES}")
        if not 0.0 <= float(f.error_rate) <= 1.0 or int(f.latency_ms) < 0:
            raise ValueError("error_rate in [0, 1] and latency_ms >= 0")
        return f


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        # request lines would carry nothing personal, but tests and benches need quiet output
        return


class AgencyServer:
    """One agency on 127.0.0.1:port; ``handler(method, path, query, body)`` makes the answers.

    ``error_body`` makes the agency's own server-error answer (a SOAP fault for SOAP agencies).
    """

    def __init__(
        self,
        name: str,
        protocol: str,
        handler: Handler,
        *,
        port: int = 0,
        faults: Faults | None = None,
        error_body: Callable[[str], Response] | None = None,
        malformed_body: Response | None = None,
        documents: dict[str, tuple[str, bytes]] | None = None,
    ) -> None:
        self.name = name
        self.protocol = protocol
        self.handler = handler
        self.faults = faults or Faults()
        self._rnd = random.Random(self.faults.seed)
        self._lock = threading.Lock()
        self._error_body = error_body or (lambda msg: (500, "application/json", _json({"error": msg})))
        self._malformed = malformed_body or (200, "application/json", b'{"pinfl": "1234", "incom')
        self._documents = documents or {}
        self.requests = 0
        self._server = make_server("127.0.0.1", port, self._app, _ThreadingWSGIServer, _QuietHandler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"agency-{name}",
            daemon=True,
        )

    def start(self) -> AgencyServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._rnd = random.Random(faults.seed)

    # -- WSGI ---------------------------------------------------------------------------------------

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "/")
        query = _parse_qs(environ.get("QUERY_STRING", ""))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        status, ctype, payload = self._dispatch(method, path, query, body)
        start_response(
            f"{status} {_REASONS.get(status, 'OK')}",
            [
                ("Content-Type", ctype),
                ("Content-Length", str(len(payload))),
            ],
        )
        return [payload]

    def _dispatch(self, method: str, path: str, query: dict[str, str], body: bytes) -> Response:
        if path == "/_faults":
            if method == "POST":
                try:
                    self.set_faults(Faults.from_dict(json.loads(body or b"{}")))
                except (ValueError, TypeError) as e:
                    return 400, "application/json", _json({"error": str(e)})
            return 200, "application/json", _json(asdict(self.faults))
        if path == "/_health":
            return 200, "application/json", _json({"agency": self.name, "status": "ok"})
        if method == "GET" and path in self._documents:
            ctype, doc = self._documents[path]
            return 200, ctype, doc
        with self._lock:
            f = self.faults
            self.requests += 1
            fail = f.error_rate > 0 and self._rnd.random() < f.error_rate
        if f.latency_ms:
            time.sleep(f.latency_ms / 1000)
        if f.mode == "timeout":
            time.sleep(f.timeout_s)
        if f.mode == "http_500":
            return 500, "text/plain", b"internal server error"
        if f.mode == "soap_fault" or fail:
            return self._error_body("service temporarily unavailable")
        if f.mode == "malformed":
            return self._malformed
        try:
            return self.handler(method, path, query, body)
        except Exception:
            return self._error_body("internal error")


_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}


def _json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode()


def _parse_qs(qs: str) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(qs))
