"""Calendar months as ``YYYY-MM`` strings: the unit of cycles, income periods and payments."""

from __future__ import annotations

from datetime import date


def add(month: str, k: int) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + (mon - 1) + k
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def span(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive (empty when last is before first)."""
    out: list[str] = []
    current = first
    while current <= last:
        out.append(current)
        current = add(current, 1)
    return out
