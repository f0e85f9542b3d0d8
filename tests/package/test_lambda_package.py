"""The deployment package as Lambda runs it: built by ``infra/package.py``, unzipped, run by a bare python3.13.

The build is cached (the layer is rebuilt only when the pins or the build script change; pip keeps
the wheels), so this suite takes seconds once the layer exists and about two minutes on a fresh clone.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chalicelib.api import examples
from chalicelib.config import Settings
from chalicelib.services.assessment import assess
from devstack.token import issue
from infra import package

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("lambda_probe.py")
# The interpreter under the venv: no site-packages of its own, as the runtime's.
BARE_PYTHON = Path(sys.base_prefix) / "bin" / f"python{package.PYTHON_VERSION}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The artefacts ``make package`` writes, unzipped: /var/task, /opt and the runtime's boto3."""
    artefacts = package.build("x86_64")
    root = tmp_path_factory.mktemp("lambda")
    task, opt = root / "task", root / "opt"
    with zipfile.ZipFile(artefacts["deployment"]) as code:
        code.extractall(task)
    with zipfile.ZipFile(artefacts["layer"]) as layer:
        layer.extractall(opt)
    template = json.loads(Path(artefacts["template"]).read_text())
    return {**artefacts, "task": task, "opt": opt, "boto3": package.runtime_boto3(), "sam": template}


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    globals_ = template.get("Globals", {}).get("Function", {})
    return {name: {**globals_, **resource["Properties"]} for name, resource in template["Resources"].items()
            if resource["Type"] == "AWS::Serverless::Function"}


def _event(name: str, token: str | None = None) -> dict[str, Any]:
    text = (ROOT / "events" / "api" / name).read_text(encoding="utf-8")
    if token:
        text = re.sub(r"\$\{TOKEN:[^}]*\}", token, text)
    event: dict[str, Any] = json.loads(text)
    event.pop("_expect_status")
    return event


def _probe(built: dict[str, Any], events: list[dict[str, Any]], env: dict[str, str]) -> dict[str, Any]:
    spec = {"paths": [str(built["task"]), str(built["opt"] / "python"), str(built["boto3"])],
            "handlers": sorted({f["Handler"] for f in _functions(built["sam"]).values()}), "events": events}
    base_env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                # nothing may reach AWS from here: a closed port on loopback
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    result = subprocess.run([str(BARE_PYTHON), "-I", "-S", "-B", str(PROBE), json.dumps(spec)], cwd=built["task"],
                            env={**base_env, **env}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def test_every_function_runs_python_3_13_on_the_chosen_architecture(built: dict[str, Any]) -> None:
    # Given the template chalice package wrote for the staged app
    functions = _functions(built["sam"])
    # Then there are functions, and every one is python3.13 on x86_64
    assert len(functions) >= 10
    assert {f["Runtime"] for f in functions.values()} == {"python3.13"}
    assert {tuple(f.get("Architectures", ["x86_64"])) for f in functions.values()} == {("x86_64",)}


def test_the_bare_interpreter_imports_every_handler_and_assesses_a_household(built: dict[str, Any]) -> None:
    # Given a local-stage token (the package's own PyJWT verifies it) and the sample preview request
    token = issue("pension_fund_officer", "1726262", settings=Settings())
    events = [_event("01_health.json"), _event("17_preview_assessment.json", token)]
    # When python3.13 -I -S runs the package with only its folders and boto3 on sys.path
    probe = _probe(built, events, {"SPSR_STAGE": "local"})
    # Then it is 3.13, isolated, every handler of the template is found, nothing comes from elsewhere
    assert probe["python"].startswith("3.13.") and probe["flags"] == {"isolated": 1, "no_site": 1}
    assert probe["handlers"] and all(probe["handlers"].values()), probe["handlers"]
    assert probe["outside"] == []
    # and the API answers: health, and a household assessed by the rules (OpenFisca, numpy, numexpr)
    health, preview = probe["answers"]
    assert health == {"status": 200, "body": {"status": "ok"}}
    assert preview["status"] == 200, preview["body"]
    # the very decision the development tree's rules give
    expected = assess(examples.ASSESSMENT_PREVIEW["evidence"])
    assert preview["body"]["decision"] == json.loads(json.dumps(expected["decision"]))
    assert preview["body"]["rules_version"] == expected["rules_version"]
    assert preview["body"]["decision"]["programmes"]["child_allowance"]["eligible"] is True


def test_importing_the_app_in_the_package_loads_neither_the_rules_nor_soap_nor_boto3(built: dict[str, Any]) -> None:
    # When the package's app is imported (every function's cold start) with no request
    probe = _probe(built, [], {"SPSR_STAGE": "local"})
    # Then the heavy libraries wait for the first call that needs them
    heavy = {"openfisca_core", "numpy", "numexpr", "zeep", "lxml", "boto3", "pyarrow", "jwt", "holidays"}
    assert heavy.isdisjoint(probe["loaded_by_import"]), heavy & set(probe["loaded_by_import"])


def test_a_deployed_stage_without_its_token_settings_answers_503_to_a_development_token(
        built: dict[str, Any]) -> None:
    # Given the package on Lambda (AWS_EXECUTION_ENV) with a stage but no JWKS, issuer or audience
    token = issue("auditor", settings=Settings())
    events = [_event("04_list_applications.json", token), _event("01_health.json")]
    # When a development token (signed with the repository's secret) is presented
    probe = _probe(built, events, {"SPSR_STAGE": "prod", "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13"})
    # Then nothing falls back to the local secret: 503 service_misconfigured, and health says so too
    listing, health = probe["answers"]
    assert listing["status"] == 503 and listing["body"]["error"]["code"] == "service_misconfigured"
    assert health["status"] == 503 and health["body"]["error"]["code"] == "service_misconfigured"
    assert "SPSR_" not in json.dumps(probe["answers"]), "no configuration details to the caller"


def test_native_libraries_need_at_most_glibc_2_34_and_match_the_architecture(built: dict[str, Any]) -> None:
    # Given every ELF file in the function code and the layer
    needs = {path: package.elf_needs(path) for folder in (built["task"], built["opt"])
             for path in package.elf_files(folder)}
    # Then numpy, numexpr, lxml, pydantic-core, cryptography... are there, all x86_64, none past GLIBC_2.34
    assert len(needs) >= 20
    assert {n.machine for n in needs.values() if n} == {"x86_64"}
    too_new = {p.name: n.glibc for p, n in needs.items() if n and n.glibc and n.glibc > package.MAX_GLIBC}
    assert too_new == {}
    assert max(n.glibc for n in needs.values() if n and n.glibc) >= (2, 17)  # the check reads real symbols


@pytest.mark.skipif(shutil.which("readelf") is None, reason="binutils' readelf is not installed")
def test_the_glibc_reader_agrees_with_readelf(built: dict[str, Any]) -> None:
    # Given numpy's core extension from the layer
    core = next((built["opt"] / "python" / "numpy" / "_core").glob("_multiarray_umath*.so"))
    # When readelf lists its version needs
    out = subprocess.run(["readelf", "-V", str(core)], capture_output=True, text=True, check=True).stdout
    versions = {tuple(map(int, v)) for v in re.findall(r"GLIBC_(\d+)\.(\d+)", out)}
    # Then the newest is what the Python reader finds
    needs = package.elf_needs(core)
    assert needs is not None and needs.glibc == max(versions)


def test_unzipped_under_lambdas_250_mb(built: dict[str, Any]) -> None:
    total = sum(p.stat().st_size for folder in (built["task"], built["opt"]) for p in folder.rglob("*") if p.is_file())
    assert total < package.MAX_UNZIPPED_BYTES, f"{total / 2**20:.0f} MB"


def test_only_runtime_code_ships(built: dict[str, Any]) -> None:
    # The function code: the app, chalicelib and Chalice's runtime, with their bytecode
    assert {p.name for p in built["task"].iterdir()} == {"app.py", "chalicelib", "chalice", "__pycache__"}
    shipped = {p.relative_to(built["task"]).as_posix() for p in built["task"].rglob("*.py")}
    assert not shipped & set(package.NOT_ON_LAMBDA)
    # The layer: no test, tool, stub or runtime-provided distribution
    layer = {p.name.split("-")[0].lower() for p in (built["opt"] / "python").iterdir()}
    assert not layer & {*package.NOT_SHIPPED, *package.PRUNED_DISTRIBUTIONS}, layer & set(package.NOT_SHIPPED)
    assert not any(name.startswith(("mypy_boto3", "moto", "boto3")) for name in layer)
    # and every distribution in it is the version constraints.txt pins
    assert package.unpinned_distributions(built["opt"] / "python") == []


def test_the_layer_is_reproducible_from_its_inputs(built: dict[str, Any]) -> None:
    # The layer zip records no build time: fixed dates, sorted names, and the key of its inputs
    with zipfile.ZipFile(built["layer"]) as layer:
        infos = layer.infolist()
    assert {i.date_time for i in infos} == {package.ZIP_DATE}
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert all(i.filename.startswith("python/") for i in infos)
    assert (Path(built["layer"]).parent / "layer.key").read_text().strip() == package.layer_key("x86_64")
