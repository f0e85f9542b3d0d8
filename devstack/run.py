"""``make run``: the registry on its embedded local stack, until Ctrl-C."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from chalicelib.api import examples
from devstack.stack import EmbeddedStack
from devstack.token import issue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run SPSR locally on moto and chalice local.")
    parser.add_argument("--households", type=int, default=int(os.environ.get("SPSR_SEED_HOUSEHOLDS", "10000")))
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--moto-port", type=int, default=5000)
    args = parser.parse_args(argv)

    log = Path(tempfile.gettempdir()) / "spsr-chalice-local.log"
    stack = EmbeddedStack(moto_port=args.moto_port, api_port=args.api_port, households=args.households, api_log=log)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    started = time.perf_counter()
    print(f"starting moto on {stack.endpoint}, seeding {args.households} households ...", flush=True)
    try:
        stack.start_aws()
        stack.create_resources()
        stack.seed()
        print(f"seeded in {time.perf_counter() - started:.0f} s; starting the agencies, workflow and API ...",
              flush=True)
        stack.start_agencies()
        stack.deploy_workflow()
        stack.start_schedules()
        stack.start_api()
        _welcome(stack, log)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nstopping ...", flush=True)
        # A second Ctrl-C or SIGTERM must not interrupt the shutdown and leave services behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        print("stopped.", flush=True)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    # SIGTERM ends the stack the way Ctrl-C does (handlers must not take locks the main thread may hold).
    raise KeyboardInterrupt


def _welcome(stack: EmbeddedStack, log: Path) -> None:
    os.environ.update({k: v for k, v in stack.env().items() if k.startswith("SPSR_")})
    token = issue("mahalla_worker", examples.EXAMPLE_MAHALLA)
    example = log.parent / "spsr-example-application.json"
    example.write_text(json.dumps(examples.APPLICATION, ensure_ascii=False, indent=2), encoding="utf-8")
    agencies = ", ".join(f"{name} {url}" for name, url in (stack.agencies.urls if stack.agencies else {}).items())
    print(f"""
SPSR is running.
  API        {stack.api_url}   (OpenAPI: {stack.api_url}/openapi.json)
  AWS (moto) {stack.endpoint}
  API log    {log}

A mahalla worker token for mahalla {examples.EXAMPLE_MAHALLA} (8 hours; more with
`make token ROLE=<role> SCOPE=<code>`):

  export TOKEN={token}

Submit the documented example application (201, then 409 when repeated):

  curl -s -X POST {stack.api_url}/applications -H "Authorization: Bearer $TOKEN" \\
       -H 'Content-Type: application/json' -d @{example}

That family is new to the agencies, so the workflow sends it to needs_review naming the civil
registry. A seeded family is known to every agency and is decided within seconds:

  .venv/bin/python -m devstack.applications 7 > /tmp/family.json     # prints its mahalla on stderr
  export TOKEN=$(make -s token ROLE=mahalla_worker SCOPE=<that mahalla> | tail -1)
  curl -s -X POST {stack.api_url}/applications -H "Authorization: Bearer $TOKEN" \\
       -H 'Content-Type: application/json' -d @/tmp/family.json
  curl -s {stack.api_url}/applications/<application_id>/decision -H "Authorization: Bearer $TOKEN"

Agency services: {agencies}
Ctrl-C stops everything.
""", flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    raise SystemExit(main())
