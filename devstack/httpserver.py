"""A tiny threaded WSGI server on loopback for the local bank and treasury stubs (never deployed)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

HOST = "127.0.0.1"
Handler = Callable[[str, str, dict[str, str], bytes], tuple[int, str, bytes]]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class LoopbackServer:
    """Serves ``handler(method, path, headers, body) -> (status, content type, body)`` on 127.0.0.1."""

    def __init__(self, handler: Handler, port: int = 0) -> None:
        self._handler = handler
        self._server = make_server(HOST, port, self._app, server_class=_ThreadingServer, handler_class=_Quiet)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._server.server_port}"

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        path = environ.get("PATH_INFO", "/")
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        try:
            status, ctype, out = self._handler(environ["REQUEST_METHOD"], path, headers, body)
        except Exception as err:  # a stub must answer, never hang the caller
            status, ctype, out = 500, "text/plain", type(err).__name__.encode()
        reasons = {200: "OK", 400: "Bad Request", 404: "Not Found", 409: "Conflict", 500: "Internal Server Error"}
        start_response(f"{status} {reasons.get(status, 'Status')}",
                       [("Content-Type", ctype), ("Content-Length", str(len(out)))])
        return [out]

    def start(self) -> LoopbackServer:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
