"""Cold start of the API function: how long ``import app`` takes in a fresh interpreter.

Every Lambda function Chalice deploys imports ``app.py``; the API function must not pay for the rules
(OpenFisca, numpy), SOAP (zeep, lxml) or boto3 before its first request. Each run starts a new
``python -I -B`` process (no user site, no bytecode written, as on Lambda's read-only file system),
times ``import app`` inside it (wall and CPU: the machine is shared, CPU time is the steadier figure),
and lists the heavy modules the import loaded. Prints one JSON object: medians and minima over the runs.

    python bench/cold_start.py [--runs 15] [--path DIR ...]

``--path`` puts the given folders first on ``sys.path`` (an unzipped deployment package and its
layer, as ``tests/package`` does); by default the project folder with the current interpreter's
site-packages.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("openfisca_core", "numpy", "numexpr", "zeep", "lxml", "pyarrow", "boto3", "jwt",
         "holidays", "phonenumbers")

PROBE = """
import sys, time
sys.path[:0] = {paths!r}
wall, cpu = time.perf_counter(), time.process_time()
import app
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
heavy = [m for m in {heavy!r} if m in sys.modules]
print(repr((wall, cpu, heavy, len(app.app.routes))))
"""


def measure(paths: list[str], runs: int, python: str = sys.executable, site: bool = True) -> dict[str, object]:
    walls, cpus, heavy = [], [], set()
    flags = ["-I"] + ([] if site else ["-S"])
    for _ in range(runs):
        out = subprocess.run([python, *flags, "-c", PROBE.format(paths=paths, heavy=HEAVY)], check=True,
                             capture_output=True, text=True, cwd="/").stdout
        wall, cpu, loaded, routes = eval(out.strip().splitlines()[-1])  # noqa: S307 (our own probe's repr)
        walls.append(wall * 1000)
        cpus.append(cpu * 1000)
        heavy.update(loaded)
    return {"runs": runs, "routes": routes, "wall_ms_median": round(statistics.median(walls), 1),
            "wall_ms_min": round(min(walls), 1), "cpu_ms_median": round(statistics.median(cpus), 1),
            "cpu_ms_min": round(min(cpus), 1), "heavy_modules_loaded": sorted(heavy)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--path", action="append", default=None, help="folder to put first on sys.path")
    parser.add_argument("--python", default=sys.executable, help="interpreter (default: this one)")
    parser.add_argument("--no-site", action="store_true", help="-S: only --path folders, as on Lambda")
    args = parser.parse_args(argv)
    paths = args.path or [str(ROOT)]
    print(json.dumps(measure(paths, args.runs, args.python, site=not args.no_site)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
