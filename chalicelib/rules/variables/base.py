"""Building blocks the variables share: whole-som money variables and the household layout.

OpenFisca stores ``int`` variables as int32; money is summed over members and months, and a single
large salary would overflow and wrap negative (turning a rich family poor). ``MoneyVariable`` keeps
whole som in int64.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy
from openfisca_core.variables import Variable


class MoneyVariable(Variable):
    """A whole-som amount stored as int64 (subclasses still declare ``value_type = int``)."""

    def __init__(self, baseline_variable: Any = None) -> None:
        super().__init__(baseline_variable)
        self.dtype = numpy.int64


class _Layout:
    """Index arithmetic of a simulation's households: each person's household and position."""

    def __init__(self, household: Any) -> None:
        hh = numpy.asarray(household.members_entity_id, dtype=numpy.int64)
        pos = numpy.asarray(household.members_position, dtype=numpy.int64)
        self.household_of = hh
        self.position = pos
        self.count = int(household.count)
        sizes = numpy.bincount(hh, minlength=self.count)
        self.start = numpy.zeros(self.count, dtype=numpy.int64)
        numpy.cumsum(sizes[:-1], out=self.start[1:])
        self.size = sizes
        key = self.start[hh] + pos
        if numpy.array_equal(key, numpy.arange(len(hh))):
            # Persons already grouped by household in position order (the encoders build them so).
            self.order: numpy.ndarray | None = None
        else:
            self.order = numpy.empty(len(hh), dtype=numpy.int64)
            self.order[key] = numpy.arange(len(hh))

    def person_at(self, household_index: numpy.ndarray, position: numpy.ndarray) -> numpy.ndarray:
        """Global person index of the member at ``position`` in each household (-1 where position < 0)."""
        valid = position >= 0
        flat = numpy.where(valid, self.start[household_index] + numpy.where(valid, position, 0), 0)
        index = flat if self.order is None else self.order[flat]
        return numpy.where(valid, index, -1)


_layouts: weakref.WeakKeyDictionary[Any, _Layout] = weakref.WeakKeyDictionary()


def layout(household: Any) -> _Layout:
    """The layout of ``household`` (a GroupPopulation), computed once per simulation."""
    found = _layouts.get(household)
    if found is None:
        found = _Layout(household)
        _layouts[household] = found
    return found


def household_population(person: Any) -> Any:
    return person.simulation.populations["household"]


def as_datetime64(instant: Any) -> numpy.datetime64:
    return numpy.datetime64(instant.date, "D")


def scatter_any(count: int, index: numpy.ndarray) -> numpy.ndarray:
    """Boolean array of ``count`` with True at each (non-negative) index."""
    out = numpy.zeros(count, dtype=bool)
    out[index[index >= 0]] = True
    return out
