"""The embedded local stack: moto server, the registry's resources, seeded data and ``chalice local``.

Everything listens on loopback only. ``EmbeddedStack`` is used by ``make run`` (``devstack.run``),
``make demo`` and the end-to-end tests; ``stop()`` ends everything it started.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from chalicelib.adapters.dynamodb import DynamoHouseholdRepository
from chalicelib.config import Settings
from devstack.seed import seed
from infra.resources import create_all

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class EmbeddedStack:
    def __init__(self, *, moto_port: int = 5000, api_port: int = 8000, households: int = 10_000,
                 seed_value: int = 2026, reference_month: str | None = None, api_log: Path | None = None) -> None:
        self.moto_port = moto_port
        self.api_port = api_port
        self.households = households
        self.seed_value = seed_value
        self.reference_month = reference_month or time.strftime("%Y-%m", time.gmtime())
        self.api_log = api_log
        self._moto: ThreadedMotoServer | None = None
        self._api: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.moto_port}"

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    def env(self) -> dict[str, str]:
        """The environment the registry runs with against this stack (fake credentials, loopback endpoint)."""
        env = dict(os.environ)
        env.update({
            "AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "MOTO_PORT": str(self.moto_port),
            "SPSR_STAGE": "local", "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        })
        env.pop("AWS_PROFILE", None)
        return env

    def settings(self) -> Settings:
        return Settings.from_env(self.env())

    def start(self) -> EmbeddedStack:
        try:
            self.start_aws()
            self.create_resources()
            self.seed()
            self.start_api()
        except BaseException:
            self.stop()
            raise
        return self

    def start_aws(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._moto = ThreadedMotoServer(ip_address=HOST, port=self.moto_port, verbose=False)
        self._moto.start()
        request = urllib.request.Request(f"{self.endpoint}/moto-api/config", data=json.dumps(MOTO_CONFIG).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        _wait(lambda: urllib.request.urlopen(request, timeout=2).status in (200, 201), "moto server")

    def client(self, service: str) -> Any:
        """A boto3 client for this stack (its own fake credentials, whatever the caller's environment)."""
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",  # type: ignore[call-overload]
                            aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106

    def create_resources(self) -> None:
        create_all(self.client("dynamodb"), self.client("s3"), self.settings())

    def seed(self) -> int:
        s = self.settings()
        repo = DynamoHouseholdRepository(self.client("dynamodb"), s.registry_table)
        return seed(repo, self.households, seed_value=self.seed_value, reference_month=self.reference_month)

    def start_api(self) -> None:
        chalice = Path(sys.executable).parent / "chalice"
        out: Any = subprocess.DEVNULL
        if self.api_log is not None:
            self._log_file = out = self.api_log.open("ab")
        self._api = subprocess.Popen(
            [str(chalice), "local", "--host", HOST, "--port", str(self.api_port), "--stage", "local",
             "--no-autoreload"],
            cwd=ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT,
        )

        def healthy() -> bool:
            if self._api is not None and self._api.poll() is not None:
                raise RuntimeError("chalice local exited; see its log")
            with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as r:
                return bool(r.status == 200)

        _wait(healthy, "chalice local", timeout=60)

    def stop(self) -> None:
        if self._api is not None and self._api.poll() is None:
            self._api.terminate()
            try:
                self._api.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._api.kill()
        self._api = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None

    def __enter__(self) -> EmbeddedStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _wait(check: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, urllib.error.URLError) as err:
            last = err
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s ({last})")
