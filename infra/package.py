"""The Lambda deployment artefacts: the dependency layer and the Chalice app, built from the pins.

``make package`` (``python -m infra.package``) writes, under ``dist/`` (git-ignored):

- ``dist/layer.zip``: every runtime dependency (``requirements.txt`` resolved with ``constraints.txt``)
  under ``python/``, as a Lambda layer unpacks it into ``/opt/python``: manylinux wheels for the
  chosen architecture and CPython 3.13 only (``--only-binary=:all:``), precompiled (unchecked-hash
  ``.pyc``, so a read-only ``/opt`` never compiles at cold start), zipped reproducibly (sorted entries,
  fixed dates). Rebuilt only when its inputs change (``dist/layer.key``); pip's cache keeps the wheels.
- ``dist/app/``: the Chalice project to package (``app.py``, ``chalicelib/`` with its ``.pyc``,
  ``.chalice/config.json``) with an empty ``requirements.txt``, so Chalice's own packager bundles no
  third-party code (it would resolve the transitive versions itself, ignoring ``constraints.txt``).
  This is the ``source_dir`` for Chalice's CDK construct; the functions take ``dist/layer.zip`` as a
  layer (``layers`` in the stage configuration).
- ``dist/chalice/``: ``chalice package`` of ``dist/app`` (``deployment.zip`` and ``sam.json``), the
  very package the CDK construct produces; ``tests/package`` unzips and runs it.

Nothing else ships: no tests, devstack, bench, moto, boto3 (the Lambda runtime provides it) or stubs.
The architecture is x86_64 by default (see README "Deployment package"); ``--arch arm64`` builds the
aarch64 layer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
PYTHON_VERSION = "3.13"
RUNTIME = f"python{PYTHON_VERSION}"
# Lambda's python3.12 and python3.13 run on Amazon Linux 2023: glibc 2.34.
MAX_GLIBC = (2, 34)
ARCHES = {"x86_64": "x86_64", "arm64": "aarch64"}
# Lambda's limit for a function and its layers, unzipped.
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# Distributions the runtime provides or that only tools and tests use: never in the package.
NOT_SHIPPED = ("boto3", "botocore", "s3transfer", "chalice", "moto", "pytest", "hypothesis", "pyarrow", "mypy",
               "ruff", "boto3_stubs", "botocore_stubs", "cfn_lint", "devstack", "tests", "bench")
# Installed by the resolver but never loaded by a function, so left out of the layer (the package test
# runs every handler without them):
# - pytest and what only it needs: OpenFisca-Core declares it for its `openfisca test` command;
# - phonenumbers' geocoder, carrier and time-zone data (38 MB): the registry only parses and validates;
# - botocore, which aws-xray-sdk (Powertools Tracer) requires: the runtime provides it, as it does boto3;
# - numpy's own test suites.
PRUNED_DISTRIBUTIONS = ("pytest", "pluggy", "iniconfig", "pygments", "botocore")
PRUNED_PATHS = ("_pytest", "py.py", "phonenumbers/geodata", "phonenumbers/carrierdata", "phonenumbers/tzdata",
                "numpy/tests", "numpy/*/tests", "numpy/*/*/tests")
# In chalicelib but for the command line, tests and benchmarks (pyarrow, synthetic data): not on Lambda.
NOT_ON_LAMBDA = ("chalicelib/cli.py", "chalicelib/rules/snapshot.py", "chalicelib/rules/synthetic.py")
CHALICE_CONFIG = ".chalice/config.json"


def platforms(arch: str) -> list[str]:
    """Every manylinux tag a wheel may carry and still load on glibc 2.34, newest first.

    pip does not expand ``manylinux_2_28`` to the older tags it implies, so all are listed.
    """
    machine = ARCHES[arch]
    tags = [f"manylinux_2_{minor}_{machine}" for minor in range(MAX_GLIBC[1], 16, -1)]
    return [*tags, f"manylinux2014_{machine}"]


def _sha(paths: Iterable[Path], *extra: str) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for item in extra:
        digest.update(item.encode() + b"\0")
    return digest.hexdigest()[:16]


def layer_key(arch: str) -> str:
    """What the layer is a function of: the pins, the platform and this script."""
    return _sha([ROOT / "requirements.txt", ROOT / "constraints.txt", Path(__file__)], arch, PYTHON_VERSION)


def _pip(python: str, *args: str) -> None:
    subprocess.run([python, "-m", "pip", "install", "-qq", "--disable-pip-version-check", *args], check=True)


def _compile(folder: Path, shipped_as: str, python: str) -> None:
    """``.pyc`` next to every module, recorded under the path the code has on Lambda.

    unchecked-hash: the source is never stat'ed nor hashed again (the package is immutable), and the
    files do not depend on the build's clock.
    """
    subprocess.run([python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
                    "-s", str(folder), "-p", shipped_as, str(folder)], check=True, stdout=subprocess.DEVNULL)


def _zip(folder: Path, target: Path, prefix: str = "") -> None:
    """A reproducible zip of ``folder``: sorted entries, fixed dates and modes."""
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name, path in sorted((p.relative_to(folder).as_posix(), p) for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(prefix + name, ZIP_DATE)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, path.read_bytes())
    tmp.replace(target)


def build_layer(arch: str = "x86_64", *, python: str = sys.executable, out: Path = DIST) -> Path:
    """``out/layer.zip``; rebuilt only when ``layer_key`` changed."""
    target, key_file = out / "layer.zip", out / "layer.key"
    key = layer_key(arch)
    if target.exists() and key_file.exists() and key_file.read_text().strip() == key:
        return target
    work = out / ".build" / "layer"
    shutil.rmtree(work, ignore_errors=True)
    site = work / "python"
    site.mkdir(parents=True)
    _pip(python, "--target", str(site), "--implementation", "cp", "--python-version", PYTHON_VERSION,
         "--abi", f"cp{PYTHON_VERSION.replace('.', '')}", *[f"--platform={p}" for p in platforms(arch)],
         "--only-binary=:all:", "--no-compile", "-r", str(ROOT / "requirements.txt"),
         "-c", str(ROOT / "constraints.txt"))
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts: nothing runs them on Lambda
    unpinned = unpinned_distributions(site)
    if unpinned:
        raise SystemExit(f"not pinned in constraints.txt: {', '.join(unpinned)}")
    _prune(site)
    _compile(site, "/opt/python", python)
    out.mkdir(parents=True, exist_ok=True)
    _zip(work, target)
    key_file.write_text(key + "\n")
    return target


def _prune(site: Path) -> None:
    for meta in site.glob("*.dist-info"):
        if _normalise(meta.name[: -len(".dist-info")].rpartition("-")[0]) in PRUNED_DISTRIBUTIONS:
            tops = {line.split(",")[0].split("/")[0] for line in (meta / "RECORD").read_text().splitlines()}
            tops -= {"..", ""}  # console scripts recorded outside the target
            for top in sorted(tops):
                path = site / top
                shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    for pattern in PRUNED_PATHS:
        for path in site.glob(pattern):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    for folder in sorted((p for p in site.rglob("*") if p.is_dir()), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def build_app(*, python: str = sys.executable, out: Path = DIST) -> Path:
    """``out/app``: the Chalice project with only the runtime code and no requirements to bundle."""
    app = out / "app"
    shutil.rmtree(app, ignore_errors=True)
    (app / ".chalice").mkdir(parents=True)
    shutil.copy2(ROOT / "app.py", app / "app.py")
    shutil.copytree(ROOT / "chalicelib", app / "chalicelib",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.md"))
    for name in NOT_ON_LAMBDA:
        (app / name).unlink()
    shutil.copy2(ROOT / CHALICE_CONFIG, app / CHALICE_CONFIG)
    (app / "requirements.txt").write_text(
        "# Empty on purpose: the dependencies ship in the layer dist/layer.zip (infra/package.py).\n")
    _compile(app / "chalicelib", "/var/task/chalicelib", python)
    # app.py and Chalice's runtime (chalice/app.py, chalice/__init__.py) are added by Chalice's packager
    # from their sources; their .pyc go in vendor/, which the packager copies to the zip's root as is.
    vendor = app / "vendor"
    import chalice
    import chalice.app

    sources = {"app.py": ROOT / "app.py", "chalice/__init__.py": Path(chalice.__file__),
               "chalice/app.py": Path(chalice.app.__file__)}
    for shipped, source in sources.items():
        staged = vendor / ".src" / shipped
        staged.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, staged)
    _compile(vendor / ".src", "/var/task", python)
    for cache in (vendor / ".src").rglob("__pycache__"):
        dest = vendor / cache.relative_to(vendor / ".src")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(cache, dest)
    shutil.rmtree(vendor / ".src")
    return app


def runtime_boto3(*, python: str = sys.executable, out: Path = DIST) -> Path:
    """A folder with boto3 as the Lambda runtime provides it (for running the package here; never shipped)."""
    pins = dict(line.split("==", 1) for line in (ROOT / "constraints.txt").read_text().split() if "==" in line)
    key = f"boto3=={pins['boto3']}"
    folder = out / ".build" / "runtime-boto3"
    if (folder / ".key").exists() and (folder / ".key").read_text() == key:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    _pip(python, "--target", str(folder), key, "-c", str(ROOT / "constraints.txt"))
    (folder / ".key").write_text(key)
    return folder


def chalice_package(app: Path, *, stage: str = "prod", out: Path = DIST) -> Path:
    """``chalice package`` of ``app`` into ``out/chalice`` (deployment.zip, sam.json)."""
    target = out / "chalice"
    shutil.rmtree(target, ignore_errors=True)
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")}
    chalice = Path(sys.executable).parent / "chalice"
    subprocess.run([str(chalice), "--project-dir", str(app), "package", "--stage", stage, str(target)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return target


def build(arch: str = "x86_64", *, out: Path = DIST) -> dict[str, str]:
    layer = build_layer(arch, out=out)
    app = build_app(out=out)
    package = chalice_package(app, out=out)
    return {"layer": str(layer), "app": str(app), "deployment": str(package / "deployment.zip"),
            "template": str(package / "sam.json"), "architecture": arch, "runtime": RUNTIME}


# ---------------------------------------------------------------------------- checks of the built package


def unpinned_distributions(site: Path) -> list[str]:
    """Installed distributions whose exact version ``constraints.txt`` does not pin."""
    pins = set()
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name, _, version = line.partition("==")
        if version:
            pins.add((_normalise(name), version.strip()))
    installed = []
    for meta in site.glob("*.dist-info"):
        name, _, version = meta.name[: -len(".dist-info")].rpartition("-")
        installed.append((_normalise(name), version))
    return sorted(f"{n}=={v}" for n, v in installed if (n, v) not in pins)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class ElfNeeds:
    machine: str
    glibc: tuple[int, int] | None  # the newest GLIBC_x.y symbol version needed, None if none


_MACHINES = {62: "x86_64", 183: "aarch64"}


def elf_needs(path: Path) -> ElfNeeds | None:
    """The architecture and newest GLIBC version an ELF file needs (its .gnu.version_r), None if not ELF.

    What ``readelf -V`` shows, without binutils. 64-bit little-endian only (both Lambda architectures).
    """
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        return None
    if data[4] != 2 or data[5] != 1:
        raise ValueError(f"{path.name}: not a 64-bit little-endian ELF file")
    machine = _MACHINES.get(struct.unpack_from("<H", data, 18)[0], "other")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    newest: tuple[int, int] | None = None
    for _name, sh_type, _flags, _addr, offset, _size, link, info, _align, _entsize in sections:
        if sh_type != 0x6FFFFFFE:  # SHT_GNU_verneed
            continue
        strtab = sections[link][4]
        entry = offset
        for _ in range(info):
            _version, cnt, _file, aux, next_entry = struct.unpack_from("<HHIII", data, entry)
            at = entry + aux
            for _ in range(cnt):
                _hash, _flags2, _other, name_off, next_aux = struct.unpack_from("<IHHII", data, at)
                name = data[strtab + name_off: data.index(b"\0", strtab + name_off)].decode()
                match = re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?", name)
                if match:
                    found = (int(match[1]), int(match[2]))
                    newest = found if newest is None or found > newest else newest
                at += next_aux
            entry += next_entry
    return ElfNeeds(machine, newest)


def elf_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and (".so" in path.name or os.access(path, os.X_OK)):
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    yield path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Lambda layer and the Chalice package under dist/.")
    parser.add_argument("--arch", choices=sorted(ARCHES), default=os.environ.get("LAMBDA_ARCH", "x86_64"))
    parser.add_argument("--out", type=Path, default=DIST)
    args = parser.parse_args(argv)
    print(json.dumps(build(args.arch, out=args.out), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
