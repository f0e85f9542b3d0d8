"""Well-formedness of the identifiers the registry handles: PINFL and bank card numbers.

PINFL (JShShIR), 14 digits: ``S DDMMYY RRR NNN C``
  S      sex and century of birth: 1/2 = 1800s male/female, 3/4 = 1900s, 5/6 = 2000s
  DDMMYY birth date
  RRR    code of the issuing district (3 digits)
  NNN    serial number within the day and district
  C      check digit: the 13 digits above multiplied by the weights 7, 3, 1, 7, 3, 1, ... summed,
         modulo 10 (the ICAO 9303 weighting, which the Uzbek PINFL uses).

Bank card numbers (Uzcard ``8600``, Humo ``9860``) carry a Luhn check digit.
Address codes (SOATO): region 4 digits, district 7, mahalla 10. Record ids are a prefix, a dash and
lower-case letters, digits or dashes (``hh-<hex>``, ``app-<hex>``, ``p-<hex>``). A token's scope claim
is the code of its role's level (``SCOPE_FORMATS``).
These checks say only that a value is well formed, never that it belongs to anybody.
"""

from __future__ import annotations

import re
from datetime import date

# JSON Schema (ECMA-262) patterns: the OpenAPI document and the checks below use the same text.
REGION_CODE = r"^[0-9]{4}$"
DISTRICT_CODE = r"^[0-9]{7}$"
MAHALLA_CODE = r"^[0-9]{10}$"
MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
HOUSEHOLD_ID = r"^hh-[0-9a-z-]{1,64}$"
APPLICATION_ID = r"^app-[0-9a-z-]{1,64}$"
PERSON_ID = r"^[a-z]{1,8}-[0-9a-z-]{1,64}$"
CHANGE_REQUEST_ID = r"^cr-[0-9a-z-]{1,64}$"
GRIEVANCE_ID = r"^gr-[0-9a-z-]{1,64}$"
GRIEVANCE_REFERENCE = r"^[Gg][0-9A-Za-z]{1,9}$"
CASE_ID = r"^case-[0-9a-z-]{1,64}$"
REFERRAL_ID = r"^ref-[0-9a-z-]{1,64}$"

# The scope claim each level of access carries: national roles carry none.
SCOPE_FORMATS = {"region": REGION_CODE, "district": DISTRICT_CODE, "mahalla": MAHALLA_CODE,
                 "household": HOUSEHOLD_ID, "national": r"^$"}


def matches(pattern: str, value: str) -> bool:
    """``value`` matches one of the patterns above as a whole (no trailing newline slips through)."""
    return re.fullmatch(pattern.removeprefix("^").removesuffix("$"), value) is not None


def is_well_formed_scope(level: str, scope: str) -> bool:
    """True when ``scope`` is the code format of ``level`` (a region code for "region", ...)."""
    pattern = SCOPE_FORMATS.get(level)
    return pattern is not None and matches(pattern, scope)

_WEIGHTS = (7, 3, 1)
_CENTURY = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}


def pinfl_check_digit(first13: str) -> str:
    """The check digit for the first 13 digits of a PINFL (7-3-1 weights, sum mod 10)."""
    if len(first13) != 13 or not first13.isdigit():
        raise ValueError("a PINFL prefix has 13 digits")
    total = sum(int(c) * _WEIGHTS[i % 3] for i, c in enumerate(first13))
    return str(total % 10)


def pinfl_birth_date(pinfl: str) -> date | None:
    """The birth date encoded in a PINFL, or None when digits 1..7 do not encode a real date."""
    if len(pinfl) < 7 or not pinfl[:7].isdigit() or pinfl[0] not in _CENTURY:
        return None
    try:
        return date(_CENTURY[pinfl[0]] + int(pinfl[5:7]), int(pinfl[3:5]), int(pinfl[1:3]))
    except ValueError:
        return None


def pinfl_sex(pinfl: str) -> str | None:
    """ "M" or "F" from the first digit (odd male, even female), None when it is not 1..6."""
    if not pinfl or pinfl[0] not in _CENTURY:
        return None
    return "M" if int(pinfl[0]) % 2 == 1 else "F"


def make_pinfl(sex: str, birth: date, district3: str, serial3: str) -> str:
    """Compose a well-formed PINFL (used by the synthetic population and tests)."""
    base = {1800: 1, 1900: 3, 2000: 5}[birth.year // 100 * 100]
    first = str(base + (0 if sex == "M" else 1))
    first13 = f"{first}{birth:%d%m}{birth.year % 100:02d}{district3}{serial3}"
    return first13 + pinfl_check_digit(first13)


def is_well_formed_pinfl(s: str) -> bool:
    """True for 14 digits with a valid sex/century digit, a real birth date and a correct check digit."""
    if not isinstance(s, str) or len(s) != 14 or not s.isdigit():
        return False
    if pinfl_birth_date(s) is None:
        return False
    return pinfl_check_digit(s[:13]) == s[13]


def luhn_check_digit(partial: str) -> str:
    """The Luhn digit to append to ``partial`` (digits only)."""
    total = 0
    for i, c in enumerate(reversed(partial)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def is_luhn_valid(number: str) -> bool:
    """True when ``number`` is all digits and its last digit is its Luhn check digit."""
    return len(number) >= 2 and number.isdigit() and luhn_check_digit(number[:-1]) == number[-1]


def is_well_formed_card(number: str) -> bool:
    """A 16-digit Uzcard (8600) or Humo (9860) number with a valid Luhn digit."""
    return len(number) == 16 and number[:4] in ("8600", "9860") and is_luhn_valid(number)
