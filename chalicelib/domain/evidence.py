"""Evidence documents (assessment.schema.json's ``evidence``): merging facts staff entered by hand."""

from __future__ import annotations

import copy
from typing import Any

_LIST_FIELDS = ("income", "alimony_paid", "parent_ids")


def merge_fragment(evidence: dict[str, Any], fragment: dict[str, Any]) -> dict[str, Any]:
    """``evidence`` with ``fragment`` applied: member lists extended, member fields set, assets added.

    fragment: {"members": [{"id": ..., <member fields>}], "assets": {"vehicles": [...], "real_estate": [...],
    "securities_market_value": n}, "iron_notebook": bool}. Members are matched by id; unknown ids are
    ignored (staff cannot add a person through evidence).
    """
    out = copy.deepcopy(evidence)
    members = {m["id"]: m for m in out.get("members", [])}
    for patch in fragment.get("members", []):
        member = members.get(patch.get("id"))
        if member is None:
            continue
        for name, value in patch.items():
            if name == "id":
                continue
            if name in _LIST_FIELDS:
                member[name] = [*member.get(name, []), *value]
            else:
                member[name] = value
    assets = fragment.get("assets") or {}
    if assets:
        target = out.setdefault("assets", {})
        for name in ("vehicles", "real_estate"):
            if assets.get(name):
                target[name] = [*target.get(name, []), *assets[name]]
        if "securities_market_value" in assets:
            target["securities_market_value"] = int(target.get("securities_market_value", 0)) + int(
                assets["securities_market_value"])
    if "iron_notebook" in fragment:
        out["iron_notebook"] = bool(out.get("iron_notebook")) or bool(fragment["iron_notebook"])
    return out
