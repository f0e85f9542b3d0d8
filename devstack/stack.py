"""The embedded local stack: moto server, agency services, the registry's resources and workflow,
seeded data and ``chalice local``.

Everything listens on loopback only. ``EmbeddedStack`` is used by ``make run`` (``devstack.run``),
``make demo`` (``devstack.demo``) and the end-to-end tests; ``stop()`` ends everything it started.

Step Functions runs inside the moto server, in this process; its Task states reach the registry's
Lambda handlers through ``devstack.lambda_bridge``, so they run here too, with this process's
environment pointed at the stack (``start()`` sets it and ``stop()`` restores it).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from chalicelib import bootstrap
from chalicelib.adapters.crypto import EnvelopeCipher
from chalicelib.adapters.dynamodb import DynamoHouseholdRepository
from chalicelib.config import Settings
from chalicelib.domain.applications import cycle_month
from devstack import lambda_bridge, moto_patches
from devstack.agencies.run import RunningAgencies, start_all
from devstack.seed import seed
from infra.resources import create_all

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
APPLICATION_MACHINE = "spsr-local-application"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class EmbeddedStack:
    def __init__(self, *, moto_port: int = 5000, api_port: int = 8000, households: int = 10_000,
                 seed_value: int = 2026, reference_month: str | None = None, api_log: Path | None = None,
                 agencies: bool = True) -> None:
        self.moto_port = moto_port
        self.api_port = api_port
        self.households = households
        self.seed_value = seed_value
        # The population's incomes end the month before the applications' cycle month.
        self.reference_month = reference_month or cycle_month(datetime.now(UTC), Settings().cutoff_day)
        self.api_log = api_log
        self.with_agencies = agencies
        self.agencies: RunningAgencies | None = None
        self.state_machine_arn: str | None = None
        self._moto: ThreadedMotoServer | None = None
        self._api: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None
        self._saved_env: dict[str, str] | None = None
        self._schedules: threading.Event | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.moto_port}"

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    def env(self) -> dict[str, str]:
        """The environment the registry runs with against this stack (fake credentials, loopback endpoints)."""
        env = dict(os.environ)
        env.update({
            "AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "MOTO_PORT": str(self.moto_port),
            "SPSR_STAGE": "local", "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            "POWERTOOLS_METRICS_NAMESPACE": "SPSR",
            # An agency down is waited for in seconds here (a day on AWS): a flaky local run settles in minutes.
            "SPSR_COLLECTION_WAIT_S": os.environ.get("SPSR_COLLECTION_WAIT_S", "2"),
            "SPSR_COLLECTION_WAIT_MAX_S": os.environ.get("SPSR_COLLECTION_WAIT_MAX_S", "15"),
            "SPSR_COLLECTION_PATIENCE_S": os.environ.get("SPSR_COLLECTION_PATIENCE_S", "120"),
        })
        if self.agencies is not None:
            env["SPSR_AGENCY_URLS"] = json.dumps(self.agencies.urls)
        if self.state_machine_arn:
            env["SPSR_APPLICATION_STATE_MACHINE_ARN"] = self.state_machine_arn
        env.pop("AWS_PROFILE", None)
        return env

    def settings(self) -> Settings:
        return Settings.from_env(self.env())

    def start(self) -> EmbeddedStack:
        try:
            self.start_aws()
            self.create_resources()
            self.seed()
            self.start_agencies()
            self.deploy_workflow()
            self.start_schedules()
            self.start_api()
        except BaseException:
            self.stop()
            raise
        return self

    def start_aws(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # moto logs every failed task state at ERROR; the workflow handles those failures itself.
        logging.getLogger("moto").setLevel(logging.CRITICAL)
        moto_patches.install()
        self._saved_env = dict(os.environ)
        os.environ["MOTO_PORT"] = str(self.moto_port)  # where moto's Step Functions calls Lambda back
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
        create_all(self.client("dynamodb"), self.client("s3"), self.settings(), self.client("kms"))

    def cipher(self) -> EnvelopeCipher:
        """The bank-number cipher on this stack's KMS, as the registry itself seals them."""
        return EnvelopeCipher(self.client("kms"), self.settings().data_key_id)

    def seed(self) -> int:
        repo = DynamoHouseholdRepository(self.client("dynamodb"), self.settings().registry_table, self.cipher())
        return seed(repo, self.households, seed_value=self.seed_value, reference_month=self.reference_month)

    def start_agencies(self) -> None:
        if self.with_agencies:
            self.agencies = start_all(self.households, seed=self.seed_value, reference_month=self.reference_month)

    def deploy_workflow(self) -> None:
        """The application state machine on moto, its tasks bridged to this process's handlers."""
        from app import app  # the registry's Chalice app; imported late, once the environment is set

        lambda_bridge.install(app)
        self.state_machine_arn = lambda_bridge.deploy_state_machine(
            self.client("stepfunctions"), APPLICATION_MACHINE, ROOT / "statemachines" / "application.asl.json", app)
        os.environ.update(self.env())
        bootstrap.reset(bootstrap.build(self.settings()))

    def start_schedules(self, every_s: float = 20.0) -> None:
        """The schedules a local run needs, on a thread: the sweep of pending workflow starts (every minute
        on AWS), so an application whose start failed is started here too."""
        stop = self._schedules = threading.Event()

        def loop() -> None:
            while not stop.wait(every_s):
                try:
                    bootstrap.services().start_sweep.run()
                except Exception:  # a sweep that fails is tried again next time, as its schedule would
                    logging.getLogger("spsr-devstack").exception("the start sweep failed")

        threading.Thread(target=loop, name="spsr-schedules", daemon=True).start()

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
        if self._schedules is not None:
            self._schedules.set()
            self._schedules = None
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
        if self.agencies is not None:
            self.agencies.stop()
            self.agencies = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        if self._saved_env is not None:
            os.environ.clear()
            os.environ.update(self._saved_env)
            self._saved_env = None
            lambda_bridge.uninstall()
            bootstrap.reset()

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

