"""Uzbekistan's address hierarchy: region (viloyat) -> district (tuman/shahar) -> mahalla.

Loaded once, lazily, from ``chalicelib/reference/uz_admin.json`` (shipped with the code). Region and
district codes follow SOATO (4 and 7 digits); mahalla codes extend the district code with 3 digits
and, like mahalla names, are synthetic. Pure Python: no I/O after the first load.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_DATA_FILE = Path(__file__).resolve().parent.parent / "reference" / "uz_admin.json"


@dataclass(frozen=True)
class Mahalla:
    code: str
    name: str
    district_code: str


@dataclass(frozen=True)
class District:
    code: str
    name: str
    region_code: str
    mahalla_codes: tuple[str, ...]


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    district_codes: tuple[str, ...]


@dataclass(frozen=True)
class _Index:
    version: str
    regions: dict[str, Region]
    districts: dict[str, District]
    mahallas: dict[str, Mahalla]


@lru_cache(maxsize=1)
def _index() -> _Index:
    raw = json.loads(_DATA_FILE.read_text(encoding="utf-8"))
    regions: dict[str, Region] = {}
    districts: dict[str, District] = {}
    mahallas: dict[str, Mahalla] = {}
    for r in raw["regions"]:
        for d in r["districts"]:
            for m in d["mahallas"]:
                mahallas[m["code"]] = Mahalla(m["code"], m["name"], d["code"])
            districts[d["code"]] = District(
                d["code"], d["name"], r["code"], tuple(m["code"] for m in d["mahallas"])
            )
        regions[r["code"]] = Region(r["code"], r["name"], tuple(d["code"] for d in r["districts"]))
    return _Index(raw["version"], regions, districts, mahallas)


def version() -> str:
    """The version of the reference data."""
    return _index().version


def region(code: str) -> Region | None:
    """The region with this SOATO code, or None."""
    return _index().regions.get(code)


def district(code: str) -> District | None:
    """The district or city with this SOATO code, or None."""
    return _index().districts.get(code)


def mahalla(code: str) -> Mahalla | None:
    """The mahalla with this code, or None."""
    return _index().mahallas.get(code)


def regions() -> Iterator[Region]:
    """All 14 first-level units, in file order."""
    return iter(_index().regions.values())


def districts(region_code: str | None = None) -> Iterator[District]:
    """All districts, or those of one region."""
    idx = _index()
    if region_code is None:
        return iter(idx.districts.values())
    r = idx.regions.get(region_code)
    return iter([idx.districts[c] for c in r.district_codes] if r else [])


def mahallas(district_code: str | None = None) -> Iterator[Mahalla]:
    """All mahallas, or those of one district."""
    idx = _index()
    if district_code is None:
        return iter(idx.mahallas.values())
    d = idx.districts.get(district_code)
    return iter([idx.mahallas[c] for c in d.mahalla_codes] if d else [])


def district_of_mahalla(code: str) -> District | None:
    """The district a mahalla belongs to, or None for an unknown mahalla."""
    m = _index().mahallas.get(code)
    return _index().districts[m.district_code] if m else None


def region_of_district(code: str) -> Region | None:
    """The region a district belongs to, or None for an unknown district."""
    d = _index().districts.get(code)
    return _index().regions[d.region_code] if d else None


def is_valid_address(region_code: str, district_code: str, mahalla_code: str) -> bool:
    """True when the mahalla exists, lies in the district, and the district lies in the region."""
    idx = _index()
    m = idx.mahallas.get(mahalla_code)
    d = idx.districts.get(district_code)
    return (
        m is not None
        and d is not None
        and m.district_code == district_code
        and d.region_code == region_code
        and region_code in idx.regions
    )
