"""Every threshold and amount is a dated parameter with a legal reference or an assumption flag.

Given the parameter tree, When each value is inspected, Then it carries a reference, or
``assumed: true`` with the open question; and the rules version hashes the parameter files.
"""

from __future__ import annotations

from typing import Any

from openfisca_core.parameters import Parameter, ParameterNode

from chalicelib.rules import PARAMETERS_DIR, RULES_VERSION, tax_benefit_system


def leaves(node: Any) -> list[Parameter]:
    if isinstance(node, Parameter):
        return [node]
    assert isinstance(node, ParameterNode)
    return [leaf for child in node.children.values() for leaf in leaves(child)]


def test_every_value_is_referenced_or_flagged_as_assumed() -> None:
    found = leaves(tax_benefit_system().parameters)
    assert len(found) == len(list(PARAMETERS_DIR.rglob("*.yaml")))
    for parameter in found:
        assert parameter.values_list, parameter.name
        for value in parameter.values_list:
            meta = {**parameter.metadata, **(value.metadata or {})}
            assumed = bool(meta.get("assumed", False))
            assert meta.get("reference") or assumed, f"{parameter.name} {value.instant_str}"
            if assumed:
                assert meta.get("open_question"), f"{parameter.name} {value.instant_str}"
            assert value.instant_str >= "2021-09-01"


def test_mce_history_is_the_one_rules_md_gives() -> None:
    mce = tax_benefit_system().parameters.means_test.mce
    history = sorted((v.instant_str, v.value) for v in mce.values_list)
    assert history == [
        ("2021-09-01", 498000),
        ("2022-01-01", 498000),
        ("2023-01-01", 568000),
        ("2024-01-01", 648000),
        ("2025-01-01", 669000),
    ]
    assumed = {v.instant_str for v in mce.values_list if (v.metadata or {}).get("assumed")}
    assert assumed == {"2021-09-01", "2023-01-01", "2024-01-01"}


def test_qualifying_conditions_default_to_dc01_to_dc34() -> None:
    codes = tax_benefit_system().parameters("2025-01-01").disabled_child_caregiver.qualifying_condition_codes
    assert codes == [f"DC{i:02d}" for i in range(1, 35)]


def test_rules_version_changes_with_a_parameter_file(tmp_path: Any, monkeypatch: Any) -> None:
    import chalicelib.rules as rules

    original = rules._rules_hash()
    copy = tmp_path / "parameters"
    copy.mkdir()
    for path in PARAMETERS_DIR.rglob("*.yaml"):
        target = copy / path.relative_to(PARAMETERS_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    monkeypatch.setattr(rules, "PARAMETERS_DIR", copy)
    monkeypatch.setattr(rules, "PACKAGE_DIR", tmp_path)
    (tmp_path / "variables").symlink_to(PARAMETERS_DIR.parent / "variables")
    same_files = rules._rules_hash()
    (copy / "means_test" / "mce.yaml").write_text(
        (copy / "means_test" / "mce.yaml").read_text().replace("669000", "670000")
    )
    assert rules._rules_hash() != same_files
    assert RULES_VERSION.endswith(original)
