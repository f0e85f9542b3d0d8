"""Runs the OpenFisca YAML tests of the rules (tests/rules/yaml) and asserts they all pass.

Given the YAML cases (inputs per member and household, expected outputs per variable), when
OpenFisca's test runner evaluates them against the Uzbek rules, then every case passes.
"""

from __future__ import annotations

from pathlib import Path

from openfisca_core.tools.test_runner import run_tests

from chalicelib.rules import tax_benefit_system

YAML_DIR = Path(__file__).parent / "yaml"


def test_yaml_rules_pass() -> None:
    files = sorted(str(p) for p in YAML_DIR.glob("*.yaml"))
    assert len(files) >= 6
    exit_code = run_tests(tax_benefit_system(), files, {})
    assert exit_code == 0, "an OpenFisca YAML rule test failed (see the output above)"
