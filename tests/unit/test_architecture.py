"""The layering holds: dependencies point inward and only the composition root builds adapters."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def _offenders(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    return [f"{p.relative_to(ROOT)} imports {name}" for p in _modules(layer) for name in sorted(_imports(p))
            if any(name == f or name.startswith(f + ".") for f in forbidden)]


def test_the_domain_is_pure() -> None:
    forbidden = ("chalicelib.api", "chalicelib.services", "chalicelib.adapters", "chalicelib.bootstrap",
                 "boto3", "botocore", "chalice", "pydantic", "aws_lambda_powertools")
    assert _offenders("domain", forbidden) == []


def test_services_reach_the_world_through_ports_only() -> None:
    forbidden = ("chalicelib.api", "chalicelib.adapters", "chalicelib.bootstrap", "boto3", "botocore", "chalice")
    assert _offenders("services", forbidden) == []


def test_only_the_composition_root_imports_boto3_clients_into_the_api() -> None:
    assert _offenders("api", ("chalicelib.adapters.dynamodb", "chalicelib.adapters.s3", "boto3", "botocore")) == []


def test_no_module_builds_a_boto3_client_at_import_time() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level statements only
            for call in ast.walk(node):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    break
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and \
                        call.func.attr in ("client", "resource") and getattr(call.func.value, "id", "") == "boto3":
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
