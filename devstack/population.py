"""A deterministic synthetic population of Uzbek households, for local runs, tests and benchmarks.

``household(i)`` rebuilds household ``i`` from ``random.Random(f"{seed}:{i}")`` alone, so any process
(seeder, agency stubs, tests) gets the same family without sharing state. Households are spread over
the 14 regions (weighted by population) and every district and mahalla of
``chalicelib/reference/uz_admin.json``.

What is synthetic and how it is shaped:
- Family shapes: couples with 1..7 children, large families (5..7 children), single parents, elderly
  couples, single pensioners, three generations (a grandparent as "other"), couples with a grown-up
  child (student, conscript, job-seeker or idle), young couples, single adults.
- Income: each household draws a target ratio of its monthly income to the poverty line
  (MCE x members); about half the households are drawn below it. Salaries are 1.5M..12M som,
  pensions 1M..3M; poor households earn through small entrepreneurial income and public works.
- Agencies' facts: disability (children with DC codes, some not on the list, e.g. "DC99"), students,
  conscripts, detention, job-seeker registration, alimony, Iron Notebook, vehicles, dwellings, land,
  securities, recent births (mothers in the state or non-state sector), rare deaths.

Identifiers (see ``chalicelib.domain.identifiers``):
- PINFL: sex/century digit, DDMMYY, then 6 digits derived from (index, member) so that synthetic
  people never share a PINFL below index 100,000 (beyond that they would also need the same birth date
  and sex), then the 7-3-1 check digit.
- Documents: people aged 16 and over hold an ID card (series "AA".."AE" + 7 digits) or, some, a
  biometric passport (series "FA", "FB" or "KA" + 7 digits); younger children hold a birth certificate
  "<roman numeral>-<region letters> <7 digits>", e.g. "I-SM 1234567".
- Phones: "+998" + mobile operator prefix (90 91 93 94 95 97 98 99 33 88 77 50) + 7 digits.
- Bank cards: 16 digits, Uzcard "8600..." or Humo "9860...", Luhn-valid.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from chalicelib.domain import geography
from chalicelib.domain.identifiers import luhn_check_digit, make_pinfl

# ---------------------------------------------------------------------------------------------------
# data classes (the seeder and the agency stubs code against these names)


@dataclass(frozen=True)
class SynthIncome:
    month: str  # "YYYY-MM"
    source: str  # as in assessment.schema.json: salary, entrepreneurial, property, pension, ...
    amount: int  # whole som


@dataclass(frozen=True)
class SynthPerson:
    person_id: str
    pinfl: str
    surname: str
    given_name: str
    patronymic: str
    birth_date: date
    sex: str
    relationship: str
    parent_ids: tuple[str, ...]
    document_kind: str
    document_number: str
    phone: str | None
    language: str
    incomes: tuple[SynthIncome, ...] = ()
    alimony_paid: tuple[tuple[str, int], ...] = ()
    disability: dict[str, Any] | None = None
    student: dict[str, Any] | None = None
    military_conscript: bool = False
    detained: bool = False
    job_seeker_registered: bool = False
    employment_sector: str = "none"
    death_date: date | None = None


@dataclass(frozen=True)
class SynthHousehold:
    household_id: str
    index: int
    region_code: str
    district_code: str
    mahalla_code: str
    address_line: str
    members: tuple[SynthPerson, ...]
    bank_card: str
    iron_notebook: bool
    vehicles: tuple[dict[str, Any], ...] = ()
    real_estate: tuple[dict[str, Any], ...] = ()
    securities_market_value: int = 0
    securities_owner_id: str | None = None  # the member the depository holds the portfolio for
    shape: str = field(default="", compare=False)
    reference_month: str = field(default="", compare=False)


# ---------------------------------------------------------------------------------------------------
# reference tables

# Population by region, millions (2024, rounded): weights for placing households.
REGION_WEIGHTS: dict[str, float] = {
    "1703": 3.3,
    "1706": 2.0,
    "1708": 1.5,
    "1710": 3.5,
    "1712": 1.1,
    "1714": 3.0,
    "1718": 4.2,
    "1722": 2.8,
    "1724": 0.9,
    "1726": 3.0,
    "1727": 3.0,
    "1730": 4.0,
    "1733": 1.9,
    "1735": 2.0,
}
# Letters of birth-certificate series and two-digit vehicle plate codes per region.
_REGION_LETTERS = {
    "1703": "AN",
    "1706": "BX",
    "1708": "JZ",
    "1710": "QD",
    "1712": "NV",
    "1714": "NM",
    "1718": "SM",
    "1722": "SR",
    "1724": "SD",
    "1726": "TS",
    "1727": "TV",
    "1730": "FR",
    "1733": "XR",
    "1735": "QR",
}
_PLATE_CODES = {
    "1726": "01",
    "1727": "10",
    "1724": "20",
    "1708": "25",
    "1718": "30",
    "1730": "40",
    "1714": "50",
    "1703": "60",
    "1710": "70",
    "1722": "75",
    "1706": "80",
    "1712": "85",
    "1733": "90",
    "1735": "95",
}
# Minimum consumption expenditure per person (RULES.md); used only to aim the income draw.
_MCE = (
    (date(2025, 1, 1), 669_000),
    (date(2024, 1, 1), 648_000),
    (date(2023, 1, 1), 568_000),
    (date(2021, 9, 1), 498_000),
)

_OPERATOR_PREFIXES = ("90", "91", "93", "94", "95", "97", "98", "99", "33", "88", "77", "50")

_MALE = (
    "Alisher",
    "Akmal",
    "Bobur",
    "Jahongir",
    "Sardor",
    "Sherzod",
    "Otabek",
    "Javlon",
    "Doniyor",
    "Rustam",
    "Farrux",
    "Ulug'bek",
    "Shuhrat",
    "Aziz",
    "Bekzod",
    "Dilshod",
    "Eldor",
    "Islom",
    "Jasur",
    "Kamol",
    "Laziz",
    "Mansur",
    "Nodir",
    "Oybek",
    "Qodir",
    "Ravshan",
    "Sanjar",
    "Temur",
    "Umid",
    "Xurshid",
    "Yusuf",
    "Zafar",
    "Abdulla",
    "Anvar",
    "Botir",
    "G'ayrat",
    "Hamid",
    "Ilhom",
    "Mirzo",
    "Nurali",
    "Shavkat",
    "Tohir",
    "Muhammad",
    "Ibrohim",
    "Ismoil",
    "Abror",
    "Sherali",
    "O'tkir",
    "Baxtiyor",
    "Erkin",
)
_FEMALE = (
    "Dilnoza",
    "Gulnora",
    "Malika",
    "Nilufar",
    "Madina",
    "Shahnoza",
    "Zarina",
    "Mohira",
    "Feruza",
    "Kamola",
    "Nigora",
    "Sevara",
    "Dildora",
    "Barno",
    "Gulchehra",
    "Hulkar",
    "Iroda",
    "Lola",
    "Maftuna",
    "Munisa",
    "Nasiba",
    "Oygul",
    "Robiya",
    "Sabina",
    "Shoira",
    "Umida",
    "Yulduz",
    "Zuhra",
    "Durdona",
    "Gavhar",
    "Mahliyo",
    "Nodira",
    "Ozoda",
    "Saodat",
    "Tamara",
    "Xurshida",
    "Zilola",
    "Aziza",
    "Charos",
    "Dilfuza",
    "Farangiz",
    "Go'zal",
    "Hilola",
    "Marjona",
    "Mushtariy",
    "Nargiza",
    "Parizoda",
    "Sitora",
    "Shaxzoda",
    "Zebo",
)
_SURNAME_ROOTS = (
    "Karimov",
    "Rahimov",
    "Toshmatov",
    "Yusupov",
    "Abdullayev",
    "Xolmatov",
    "Ergashev",
    "Nazarov",
    "Sobirov",
    "Qodirov",
    "Mirzayev",
    "Usmonov",
    "Rashidov",
    "Jo'rayev",
    "Saidov",
    "Haydarov",
    "Ismoilov",
    "Islomov",
    "Aliyev",
    "Hamidov",
    "Turg'unov",
    "Normatov",
    "Boboyev",
    "Sultonov",
    "Yo'ldoshev",
    "Xudoyberdiyev",
    "Qurbonov",
    "Eshmatov",
    "To'xtayev",
    "Umarov",
    "Fayzullayev",
    "Salimov",
    "Tursunov",
    "Nurmatov",
    "Mamatov",
    "Olimov",
    "Sharipov",
    "Rustamov",
    "Axmedov",
    "Zokirov",
)
_KAA_SURNAME_ROOTS = (
    "Allambergenov",
    "Seytmuratov",
    "Jumabayev",
    "Kalimbetov",
    "Utepov",
    "Nurimbetov",
    "Ayapov",
    "Tajimuratov",
    "Jaksimuratov",
    "Orazbayev",
)
_KAA_MALE = (
    "Berdax",
    "Ajiniyaz",
    "Dauletbay",
    "Jengis",
    "Qayrat",
    "Nurlan",
    "Marat",
    "Sabit",
    "Azamat",
    "Timur",
)
_KAA_FEMALE = (
    "Gulnara",
    "Aysuliw",
    "Ayjamal",
    "Gulbahar",
    "Zamira",
    "Aliya",
    "Saltanat",
    "Indira",
    "Gulshat",
    "Dilbar",
)
_STREETS = (
    "Navoiy",
    "Amir Temur",
    "Mustaqillik",
    "Bobur",
    "Istiqlol",
    "Ipak yo'li",
    "Bog'bon",
    "Yangi hayot",
    "Do'stlik",
    "Mirzo Ulug'bek",
    "Beruniy",
    "Ibn Sino",
    "Tinchlik",
    "Guliston",
    "Paxtakor",
)
_UNIVERSITIES = (
    "O'zbekiston Milliy universiteti",
    "Toshkent davlat iqtisodiyot universiteti",
    "Samarqand davlat universiteti",
    "Farg'ona davlat universiteti",
    "Buxoro davlat universiteti",
    "Andijon davlat universiteti",
    "Qarshi davlat universiteti",
    "Urganch davlat universiteti",
    "Qoraqalpoq davlat universiteti",
    "Toshkent axborot texnologiyalari universiteti",
    "Namangan muhandislik-qurilish instituti",
    "Termiz davlat universiteti",
)
_STUDENT_KINDS = ("university", "college", "technical", "lyceum", "vocational")
_INSTITUTION_SUFFIX = {
    "college": "kolleji",
    "technical": "texnikumi",
    "lyceum": "akademik litseyi",
    "vocational": "kasb-hunar maktabi",
}
_VEHICLE_CONDITIONS = ("good", "satisfactory", "needs_repair", "not_roadworthy")
_PLATE_LETTERS = "ABCDEFHKLMNOPQRSTUVXYZ"

SHAPES: tuple[tuple[str, int], ...] = (
    ("couple_children", 38),
    ("multigenerational", 14),
    ("couple_adult_child", 10),
    ("single_parent", 9),
    ("elderly_couple", 8),
    ("single_pensioner", 6),
    ("large_family", 6),
    ("young_couple", 5),
    ("single_adult", 4),
)


# ---------------------------------------------------------------------------------------------------
# small helpers


def month_add(ym: str, k: int) -> str:
    """ "YYYY-MM" shifted by k months."""
    y, m = int(ym[:4]), int(ym[5:7])
    n = y * 12 + (m - 1) + k
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


def month_start(ym: str) -> date:
    return date(int(ym[:4]), int(ym[5:7]), 1)


def age_on(birth: date, day: date) -> int:
    """Whole years on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _mce(day: date) -> int:
    for start, value in _MCE:
        if day >= start:
            return value
    return _MCE[-1][1]


@lru_cache(maxsize=1)
def _places() -> tuple[
    tuple[str, ...], tuple[float, ...], dict[str, tuple[str, ...]], dict[str, tuple[Any, ...]]
]:
    """Region codes with cumulative weights, districts per region, mahallas per district."""
    codes = tuple(r.code for r in geography.regions())
    cum: list[float] = []
    total = 0.0
    for c in codes:
        total += REGION_WEIGHTS.get(c, 1.0)
        cum.append(total)
    dists = {c: tuple(d.code for d in geography.districts(c)) for c in codes}
    mahs = {d.code: tuple(geography.mahallas(d.code)) for d in geography.districts()}
    return codes, tuple(cum), dists, mahs


def _female_surname(root: str) -> str:
    return root + "a"


def _birth_for_age(rnd: random.Random, ref_day: date, age: int) -> date:
    """A birth date so that the person is ``age`` on ``ref_day``."""
    latest = date(ref_day.year - age, ref_day.month, 1) - timedelta(days=1)  # turned ``age`` already
    return latest - timedelta(days=rnd.randrange(360))


def _birth_within_months(rnd: random.Random, ref_day: date, months: int) -> date:
    """A birth date within the ``months`` months before ``ref_day``."""
    return ref_day - timedelta(days=1 + rnd.randrange(max(1, months * 30 - 1)))


class _Builder:
    """Builds one household; holds the mutable state while the frozen dataclasses are assembled."""

    def __init__(self, index: int, seed: int, reference_month: str) -> None:
        self.index = index
        self.rnd = random.Random(f"{seed}:{index}")
        self.ref = reference_month
        self.ref_day = month_start(reference_month)
        self.months = tuple(month_add(reference_month, k) for k in range(-12, 0))
        self.mce = _mce(self.ref_day)
        self.people: list[dict[str, Any]] = []

    # -- place, language, names --------------------------------------------------------------------

    def place(self) -> None:
        rnd = self.rnd
        codes, cum, dists, mahs = _places()
        x = rnd.random() * cum[-1]
        i = 0
        while cum[i] < x:
            i += 1
        self.region = codes[i]
        self.district = rnd.choice(dists[self.region])
        m = rnd.choice(mahs[self.district])
        self.mahalla = m.code
        self.address = f"{m.name}, {rnd.choice(_STREETS)} ko'chasi, {rnd.randint(1, 180)}-uy"
        if self.region == "1735" and rnd.random() < 0.6:
            self.base_lang = "kaa"
        elif (self.region == "1726" and rnd.random() < 0.3) or rnd.random() < 0.08:
            self.base_lang = "ru"
        else:
            self.base_lang = "uz-Latn"
        self.karakalpak = self.base_lang == "kaa"
        roots = _KAA_SURNAME_ROOTS if self.karakalpak else _SURNAME_ROOTS
        self.family_root = rnd.choice(roots)

    def _given(self, sex: str) -> str:
        if self.karakalpak and self.rnd.random() < 0.7:
            return self.rnd.choice(_KAA_MALE if sex == "M" else _KAA_FEMALE)
        return self.rnd.choice(_MALE if sex == "M" else _FEMALE)

    # -- people -------------------------------------------------------------------------------------

    def person(
        self,
        sex: str,
        age: int,
        relationship: str,
        *,
        birth: date | None = None,
        surname_root: str | None = None,
        father_name: str | None = None,
    ) -> dict[str, Any]:
        rnd = self.rnd
        k = len(self.people) + 1
        pid = f"p-{self.index:07d}-{k:02d}"
        birth = birth or _birth_for_age(rnd, self.ref_day, age)
        root = surname_root or (
            self.family_root
            if relationship in ("head", "child")
            else rnd.choice(_KAA_SURNAME_ROOTS if self.karakalpak else _SURNAME_ROOTS)
        )
        father = father_name or self._given("M")
        p: dict[str, Any] = {
            "person_id": pid,
            "sex": sex,
            "birth_date": birth,
            "relationship": relationship,
            "surname": root if sex == "M" else _female_surname(root),
            "given_name": self._given(sex),
            "patronymic": f"{father} {'o' + chr(39) + 'g' + chr(39) + 'li' if sex == 'M' else 'qizi'}",
            "parent_ids": (),
            "incomes": [],
            "alimony_paid": [],
            "disability": None,
            "student": None,
            "military_conscript": False,
            "detained": False,
            "job_seeker_registered": False,
            "employment_sector": "none",
            "death_date": None,
            "status": None,  # earner / pension / caring / idle / ... while building
        }
        self.people.append(p)
        return p

    def age(self, p: dict[str, Any]) -> int:
        return age_on(p["birth_date"], self.ref_day)

    def children(
        self,
        n: int,
        mother_age: int,
        father: dict[str, Any] | None,
        mother: dict[str, Any] | None,
        *,
        recent_birth: bool = False,
    ) -> list[dict[str, Any]]:
        rnd = self.rnd
        out = []
        max_age = max(0, min(17, mother_age - 19))
        ages = sorted((rnd.randint(0, max_age) for _ in range(n)), reverse=True)
        for j, a in enumerate(ages):
            birth = None
            if recent_birth and j == len(ages) - 1:
                birth = _birth_within_months(rnd, self.ref_day, 5)
            c = self.person(
                rnd.choice("MF"),
                a,
                "child",
                birth=birth,
                father_name=father["given_name"] if father else None,
            )
            c["parent_ids"] = tuple(x["person_id"] for x in (father, mother) if x is not None)
            out.append(c)
        return out

    # -- shapes -------------------------------------------------------------------------------------

    def build_members(self, shape: str) -> None:
        rnd = self.rnd
        if shape in ("couple_children", "large_family", "multigenerational", "couple_adult_child"):
            grand = None
            if shape == "multigenerational":
                gsex = rnd.choice("MF")
                grand_age = rnd.randint(62, 88)
            hage = rnd.randint(24, 55) if shape != "couple_adult_child" else rnd.randint(42, 58)
            if shape == "multigenerational":
                hage = min(hage, grand_age - 20)
            head = self.person("M", hage, "head")
            wage = max(19, hage - rnd.randint(0, 6))
            wife = self.person("F", wage, "spouse", father_name=None)
            if shape == "multigenerational":
                # the head's parent lives with the family
                grand = self.person(
                    gsex, grand_age, "other", surname_root=self.family_root if gsex == "M" else None
                )
                head["parent_ids"] = (grand["person_id"],)
                if gsex == "M":
                    head["patronymic"] = f"{grand['given_name']} o'g'li"
                if rnd.random() < 0.04:
                    grand["death_date"] = self.ref_day - timedelta(days=rnd.randint(10, 100))
            if shape == "large_family":
                n = rnd.randint(5, 7)
            elif shape == "couple_adult_child":
                n = rnd.randint(0, 2)
            else:
                n = rnd.choices((1, 2, 3, 4, 5), (22, 34, 27, 12, 5))[0]
            recent = wage <= 40 and rnd.random() < 0.12
            self.children(n, wage, head, wife, recent_birth=recent)
            if recent:
                wife["employment_sector"] = rnd.choices(("non_state", "state", "none"), (6, 3, 1))[0]
            if shape == "couple_adult_child":
                a = self.person(
                    rnd.choice("MF"), rnd.randint(18, 24), "child", father_name=head["given_name"]
                )
                a["parent_ids"] = (head["person_id"], wife["person_id"])
                a["adult_child"] = True
        elif shape == "single_parent":
            sex = "F" if rnd.random() < 0.85 else "M"
            page = rnd.randint(22, 50)
            head = self.person(sex, page, "head")
            if sex == "F":
                head["surname"] = _female_surname(rnd.choice(_SURNAME_ROOTS))
            kids = self.children(
                rnd.randint(1, 4),
                page if sex == "F" else max(19, page - 3),
                head if sex == "M" else None,
                head if sex == "F" else None,
            )
            for c in kids:
                # the children keep their father's surname; he does not live with them
                c["parent_ids"] = (head["person_id"],)
            head["single_parent"] = True
        elif shape == "elderly_couple":
            hage = rnd.randint(62, 85)
            self.person("M", hage, "head")
            self.person("F", max(56, hage - rnd.randint(0, 6)), "spouse")
        elif shape == "single_pensioner":
            sex = "F" if rnd.random() < 0.7 else "M"
            h = self.person(sex, rnd.randint(60, 90), "head")
            if sex == "F":
                h["surname"] = _female_surname(self.family_root)
        elif shape == "young_couple":
            hage = rnd.randint(20, 30)
            self.person("M", hage, "head")
            self.person("F", max(19, hage - rnd.randint(0, 4)), "spouse")
        else:  # single_adult
            sex = rnd.choice("MF")
            h = self.person(sex, rnd.randint(19, 54), "head")
            if sex == "F":
                h["surname"] = _female_surname(self.family_root)

    # -- statuses and income ------------------------------------------------------------------------

    def assign(self, poor: bool, ratio: float) -> None:
        rnd = self.rnd
        ref_day = self.ref_day
        ages = {p["person_id"]: self.age(p) for p in self.people}
        children = [p for p in self.people if ages[p["person_id"]] < 18]
        n_children = len(children)
        youngest = min((ages[c["person_id"]] for c in children), default=99)
        self.iron_notebook = rnd.random() < (0.22 if poor else 0.02)

        # disability: children 4%, adults 3%
        for p in self.people:
            a = ages[p["person_id"]]
            if p["death_date"] is not None:
                continue
            if a < 18 and rnd.random() < 0.05:
                code = (
                    f"DC{rnd.randint(1, 34):02d}"
                    if rnd.random() < 0.75
                    else rnd.choice(("DC99", "DC41", "DC57"))
                )
                until = (
                    None
                    if rnd.random() < 0.3
                    else (
                        ref_day + timedelta(days=rnd.randint(30, 900))
                        if rnd.random() < 0.85
                        else ref_day - timedelta(days=rnd.randint(10, 300))
                    )
                )
                p["disability"] = {
                    "group": rnd.choice((1, 2, 2, 3)),
                    "until": until.isoformat() if until else None,
                    "condition_code": code,
                }
            elif a >= 18 and rnd.random() < 0.03:
                p["disability"] = {
                    "group": rnd.choice((1, 2, 3, 3)),
                    "until": None
                    if rnd.random() < 0.5
                    else (ref_day + timedelta(days=rnd.randint(60, 1500))).isoformat(),
                    "condition_code": f"DC{rnd.randint(1, 60):02d}",
                }

        fixed_income = 0  # monthly, from pensions and benefits
        workers: list[dict[str, Any]] = []
        for p in self.people:
            a = ages[p["person_id"]]
            if p["death_date"] is not None:
                continue
            retire = 60 if p["sex"] == "M" else 55
            dis = p["disability"]
            if a >= retire:
                amount = rnd.randrange(1_000_000, 1_350_000 if poor else 3_000_000, 1000)
                if poor and fixed_income + amount > ratio * self.mce * len(self.people):
                    # no work record: the old-age social allowance instead of a pension
                    amount = rnd.randrange(450_000, 650_000, 1000)
                    self._monthly(p, "benefit", amount)
                    fixed_income += amount
                    continue
                self._monthly(p, "pension", amount)
                fixed_income += amount
                continue
            if dis is not None and dis["group"] in (1, 2):
                amount = rnd.randrange(700_000, 1_200_000, 1000)
                self._monthly(p, "benefit", amount)
                fixed_income += amount
                p["status"] = "disabled"
                continue
            if a < 16:
                continue
            if a < 18:
                if rnd.random() < 0.5:
                    p["student"] = self._student(rnd.choice(("lyceum", "college", "vocational")), True)
                continue
            # working age and able
            if p.get("adult_child"):
                st = rnd.choices(
                    ("student", "conscript", "job_seeker", "idle", "earner"), (35, 15, 15, 15, 20)
                )[0]
                if st == "conscript" and (p["sex"] != "M" or a > 21):
                    st = "student"
            elif p["relationship"] == "spouse" and youngest < 3:
                st = rnd.choices(("caring", "earner"), (7, 3))[0]
            elif p["relationship"] == "spouse":
                st = rnd.choices(
                    ("earner", "job_seeker", "idle", "student"), (50, 15, 30, 5) if poor else (75, 5, 20, 0)
                )[0]
            elif p["relationship"] == "head" and p.get("single_parent"):
                st = rnd.choices(("earner", "idle", "job_seeker"), (70, 20, 10))[0]
            else:
                st = rnd.choices(
                    ("earner", "job_seeker", "idle", "detained"), (88, 5, 5, 2) if poor else (96, 1, 3, 0)
                )[0]
            p["status"] = st
            if st == "student":
                p["student"] = self._student(rnd.choice(_STUDENT_KINDS), rnd.random() < 0.85)
            elif st == "conscript":
                p["military_conscript"] = True
            elif st == "job_seeker":
                p["job_seeker_registered"] = True
                if rnd.random() < 0.4:
                    amount = rnd.randrange(400_000, 700_000, 1000)
                    self._monthly(p, "unemployment_benefit", amount, first=rnd.randint(4, 11))
            elif st == "detained":
                p["detained"] = True
            elif st == "earner":
                workers.append(p)

        members = len([p for p in self.people if p["death_date"] is None])
        target = int(ratio * self.mce * members) - fixed_income
        if not poor and not workers and target > 0:
            # somebody must earn for the family to be above the line
            cand = [
                p
                for p in self.people
                if 18 <= ages[p["person_id"]] < 65
                and p["death_date"] is None
                and p["status"] not in ("disabled", "detained")
            ]
            if cand:
                workers.append(cand[0])
                cand[0]["status"] = "earner"
        if workers and target > 0:
            shares = [rnd.uniform(0.5, 1.5) for _ in workers]
            total = sum(shares)
            for p, s in zip(workers, shares, strict=True):
                amount = int(target * s / total) // 1000 * 1000
                self._work(p, amount, poor)
        elif workers:
            for p in workers:
                # a family whose pensions already reach the draw: small informal earnings only
                self._work(p, 300_000, True)

        # alimony: single mothers often receive it; some heads pay it to a former family
        for p in self.people:
            if p.get("single_parent") and p["sex"] == "F" and rnd.random() < 0.45:
                self._monthly(
                    p, "alimony_received", rnd.randrange(250_000, 900_000, 1000), first=rnd.randint(0, 6)
                )
            elif (
                p["relationship"] == "head"
                and p["sex"] == "M"
                and ages[p["person_id"]] < 60
                and rnd.random() < 0.04
            ):
                amt = rnd.randrange(300_000, 800_000, 1000)
                p["alimony_paid"] = [(m, amt) for m in self.months]
        # registry benefit already paid to some poor families with children
        if poor and n_children and rnd.random() < 0.12:
            head = self.people[0]
            amt = 250_000 + 150_000 * (n_children > 1) + 100_000 * max(0, n_children - 2)
            self._monthly(head, "sp_benefit", amt, first=rnd.randint(0, 8))

    def _student(self, kind: str, full_time: bool) -> dict[str, Any]:
        rnd = self.rnd
        if kind == "university":
            inst = rnd.choice(_UNIVERSITIES)
        else:
            dname = geography.district(self.district).name.replace(" tumani", "").replace(" shahri", "")  # type: ignore[union-attr]
            suffix = _INSTITUTION_SUFFIX.get(kind, "maktabi")
            inst = f"{dname} {suffix}"
        return {
            "kind": kind,
            "full_time": full_time,
            "institution": inst,
            "year": rnd.randint(1, 4 if kind == "university" else 2),
        }

    def _monthly(self, p: dict[str, Any], source: str, amount: int, first: int = 0) -> None:
        for m in self.months[first:]:
            p["incomes"].append(SynthIncome(m, source, amount))

    def _work(self, p: dict[str, Any], amount: int, poor: bool) -> None:
        rnd = self.rnd
        if amount >= 1_500_000 and (not poor or rnd.random() < 0.5):
            amount = min(amount, 12_000_000)
            p["employment_sector"] = "state" if rnd.random() < 0.4 else "non_state"
            self._monthly(p, "salary", amount)
            if not poor and rnd.random() < 0.05:
                self._monthly(p, "property", rnd.randrange(1_000_000, 4_000_000, 10_000))
        elif poor and rnd.random() < 0.35:
            # public works pay a few months at a time
            p["employment_sector"] = "state"
            step = max(100_000, amount) // 1000 * 1000
            self._monthly(p, "public_works", step)
        else:
            p["employment_sector"] = "non_state"
            base = max(200_000, amount)
            for m in self.months:
                p["incomes"].append(
                    SynthIncome(m, "entrepreneurial", int(base * rnd.uniform(0.92, 1.08)) // 1000 * 1000)
                )

    # -- assets -------------------------------------------------------------------------------------

    def assets(self, poor: bool, rich: bool) -> None:
        rnd = self.rnd
        head = self.people[0]
        adults = [p for p in self.people if self.age(p) >= 18 and p["death_date"] is None]
        year = self.ref_day.year
        vehicles = []
        p_car = 0.06 if poor else (0.7 if rich else 0.3)
        if rnd.random() < p_car:
            recent = rnd.random() < (0.15 if poor else 0.6)
            vehicles.append(
                self._vehicle(
                    "passenger",
                    rnd.randint(year - 9, year) if recent else rnd.randint(1988, year - 11),
                    rnd.choice(adults),
                )
            )
        if rnd.random() < (0.01 if poor else 0.03):
            vehicles.append(
                self._vehicle(
                    rnd.choice(("truck", "tractor", "motorcycle", "bus")),
                    rnd.randint(1985, year - 1),
                    rnd.choice(adults),
                )
            )
        if vehicles and any(p["disability"] for p in self.people) and rnd.random() < 0.4:
            vehicles[0]["adapted_for_disability"] = True
        self.vehicles = vehicles
        estate = []
        if rnd.random() < 0.8:
            estate.append(self._estate("dwelling", head))
        if rnd.random() < (0.03 if poor else (0.4 if rich else 0.07)):
            estate.append(self._estate("dwelling", rnd.choice(adults)))
        if rnd.random() < (0.01 if poor else (0.3 if rich else 0.03)):
            estate.append(self._estate("non_residential", rnd.choice(adults)))
        if rnd.random() < 0.2:
            estate.append(self._estate("land", head))
        self.estate = estate
        self.securities = 0
        self.securities_owner: str | None = None
        if rnd.random() < (0.005 if poor else (0.25 if rich else 0.02)):
            self.securities = rnd.randrange(500_000, 60_000_000, 1000)
            owner = rnd.choice(adults)
            self.securities_owner = owner["person_id"]
            dividend = self.securities // 10 // 1000 * 1000
            if dividend:
                owner["incomes"].append(SynthIncome(self.months[-4], "securities", dividend))
        if any(e["kind"] == "dwelling" for e in estate[1:]) and not poor and rnd.random() < 0.5:
            owner = next(p for p in self.people if p["person_id"] == estate[-1]["owner_id"])
            self._monthly(owner, "property", rnd.randrange(1_500_000, 5_000_000, 10_000))

    def _vehicle(self, vtype: str, year: int, owner: dict[str, Any]) -> dict[str, Any]:
        rnd = self.rnd
        letters = "".join(rnd.choice(_PLATE_LETTERS) for _ in range(3))
        plate = f"{_PLATE_CODES[self.region]}{letters[0]}{rnd.randint(0, 999):03d}{letters[1:]}"
        return {
            "type": vtype,
            "manufactured_year": year,
            "plate": plate,
            "condition": rnd.choices(_VEHICLE_CONDITIONS, (5, 3, 2, 1))[0],
            "owner_id": owner["person_id"],
            "adapted_for_disability": False,
        }

    def _estate(self, kind: str, owner: dict[str, Any]) -> dict[str, Any]:
        rnd = self.rnd
        r, d = self.region[2:], self.district[4:]
        parts = [f"{rnd.randint(1, 99):02d}" for _ in range(3)] + [f"{rnd.randint(1, 9999):04d}"]
        cad = ":".join([r, d, *parts])
        return {"kind": kind, "cadastre_no": cad, "owner_id": owner["person_id"]}

    # -- identifiers --------------------------------------------------------------------------------

    def finish_person(self, p: dict[str, Any], k: int) -> SynthPerson:
        rnd = self.rnd
        a = self.age(p)
        serial = (self.index * 10 + k - 1) % 1_000_000  # households have at most 10 members
        pinfl = make_pinfl(p["sex"], p["birth_date"], f"{serial // 1000:03d}", f"{serial % 1000:03d}")
        if a >= 16:
            if rnd.random() < 0.8:
                kind, series = "id_card", "A" + rnd.choice("ABCDE")
            else:
                kind, series = "passport", rnd.choice(("FA", "FB", "KA"))
            number = f"{series}{rnd.randrange(10**7):07d}"
        else:
            kind = "birth_certificate"
            number = (
                f"{rnd.choice(('I', 'II', 'III', 'IV', 'V'))}-{_REGION_LETTERS[self.region]} "
                f"{rnd.randrange(10**7):07d}"
            )
        phone = None
        if (
            p["relationship"] == "head"
            or (a >= 18 and rnd.random() < (0.6 if a >= 65 else 0.85))
            or (a >= 16 and rnd.random() < 0.3)
        ):
            phone = f"+998{rnd.choice(_OPERATOR_PREFIXES)}{rnd.randrange(10**7):07d}"
        lang = self.base_lang
        if lang == "uz-Latn" and a >= 50 and rnd.random() < 0.5:
            lang = "uz-Cyrl"
        incomes = tuple(sorted(p["incomes"], key=lambda i: (i.month, i.source)))
        return SynthPerson(
            person_id=p["person_id"],
            pinfl=pinfl,
            surname=p["surname"],
            given_name=p["given_name"],
            patronymic=p["patronymic"],
            birth_date=p["birth_date"],
            sex=p["sex"],
            relationship=p["relationship"],
            parent_ids=tuple(p["parent_ids"]),
            document_kind=kind,
            document_number=number,
            phone=phone,
            language=lang,
            incomes=incomes,
            alimony_paid=tuple(p["alimony_paid"]),
            disability=p["disability"],
            student=p["student"],
            military_conscript=p["military_conscript"],
            detained=p["detained"],
            job_seeker_registered=p["job_seeker_registered"],
            employment_sector=p["employment_sector"],
            death_date=p["death_date"],
        )

    def card(self) -> str:
        rnd = self.rnd
        partial = rnd.choice(("8600", "9860")) + f"{rnd.randrange(10**11):011d}"
        return partial + luhn_check_digit(partial)


_SHAPE_NAMES = tuple(s for s, _ in SHAPES)
_SHAPE_WEIGHTS = tuple(w for _, w in SHAPES)


def household(index: int, *, seed: int = 2026, reference_month: str = "2026-11") -> SynthHousehold:
    """Household ``index`` of the population ``seed`` as the agencies know it in ``reference_month``.

    Deterministic and independent of every other index. Incomes cover the 12 months before
    ``reference_month``; ages are taken on its first day.
    """
    if index < 0:
        raise ValueError("index must be >= 0")
    b = _Builder(index, seed, reference_month)
    rnd = b.rnd
    b.place()
    shape = rnd.choices(_SHAPE_NAMES, _SHAPE_WEIGHTS)[0]
    b.build_members(shape)
    # about half drawn below the poverty line; 6% well off
    draw = rnd.random()
    poor = draw < 0.55
    rich = draw > 0.94
    ratio = rnd.uniform(0.15, 0.9) if poor else (rnd.uniform(3.0, 9.0) if rich else rnd.uniform(1.15, 3.0))
    b.assign(poor, ratio)
    b.assets(poor, rich)
    members = tuple(b.finish_person(p, k) for k, p in enumerate(b.people, 1))
    return SynthHousehold(
        household_id=f"hh-{index:07d}",
        index=index,
        region_code=b.region,
        district_code=b.district,
        mahalla_code=b.mahalla,
        address_line=b.address,
        members=members,
        bank_card=b.card(),
        iron_notebook=b.iron_notebook,
        vehicles=tuple(b.vehicles),
        real_estate=tuple(b.estate),
        securities_market_value=b.securities,
        securities_owner_id=b.securities_owner,
        shape=shape,
        reference_month=reference_month,
    )


def generate(n: int, *, seed: int = 2026, reference_month: str = "2026-11") -> Iterator[SynthHousehold]:
    """Households 0..n-1."""
    for i in range(n):
        yield household(i, seed=seed, reference_month=reference_month)


# ---------------------------------------------------------------------------------------------------
# the evidence document


def alive_members(h: SynthHousehold, period: str) -> list[SynthPerson]:
    """Members alive on the first day of ``period`` and born before it (what the civil registry confirms)."""
    day = month_start(period)
    return [p for p in h.members if (p.death_date is None or p.death_date >= day) and p.birth_date < day]


def member_evidence(p: SynthPerson, period: str, present_ids: set[str]) -> dict[str, Any]:
    """One member's entry of the evidence document for application month ``period``."""
    window = {month_add(period, k) for k in (-3, -2, -1)}
    dis = None
    if p.disability is not None:
        dis = {"group": p.disability["group"]}
        if p.disability.get("until"):
            dis["until"] = p.disability["until"]
        if p.disability.get("condition_code"):
            dis["condition_code"] = p.disability["condition_code"]
    student = None
    if p.student is not None:
        student = {"kind": p.student["kind"], "full_time": bool(p.student.get("full_time", True))}
    incomes = sorted(
        ({"month": i.month, "source": i.source, "amount": i.amount} for i in p.incomes if i.month in window),
        key=lambda d: (d["month"], d["source"], d["amount"]),
    )
    alimony = sorted(
        ({"month": m, "amount": a} for m, a in p.alimony_paid if m in window),
        key=lambda d: (d["month"], d["amount"]),
    )
    return {
        "id": p.person_id,
        "pinfl": p.pinfl,
        "birth_date": p.birth_date.isoformat(),
        "sex": p.sex,
        "relationship": p.relationship,
        "parent_ids": [x for x in p.parent_ids if x in present_ids],
        "disability": dis,
        "student": student,
        "military_conscript": p.military_conscript,
        "detained": p.detained,
        "job_seeker_registered": p.job_seeker_registered,
        "employment_sector": p.employment_sector,
        "income": incomes,
        "alimony_paid": alimony,
    }


def evidence_for(h: SynthHousehold, period: str) -> dict[str, Any]:
    """The ``evidence`` object of assessment.schema.json the agencies together report for month ``period``.

    Members are those alive on the first day of ``period``; incomes and alimony are those of the
    months P-3..P-1, sorted by (month, source, amount); vehicles and real estate keep only the
    schema's fields, sorted by (owner_id, type, year, adapted) and (owner_id, kind).
    ``programmes`` is left out (the applicant chooses).
    """
    members = alive_members(h, period)
    ids = {p.person_id for p in members}
    return {
        "period": period,
        "iron_notebook": h.iron_notebook,
        "members": [member_evidence(p, period, ids) for p in members],
        "assets": {
            "vehicles": sorted(
                (
                    {
                        "type": v["type"],
                        "manufactured_year": v["manufactured_year"],
                        "owner_id": v["owner_id"],
                        "adapted_for_disability": bool(v.get("adapted_for_disability", False)),
                    }
                    for v in h.vehicles
                    if v["owner_id"] in ids
                ),
                key=lambda v: (v["owner_id"], v["type"], v["manufactured_year"], v["adapted_for_disability"]),
            ),
            "real_estate": sorted(
                (
                    {"kind": e["kind"], "owner_id": e["owner_id"]}
                    for e in h.real_estate
                    if e["owner_id"] in ids
                ),
                key=lambda e: (e["owner_id"], e["kind"]),
            ),
            "securities_market_value": h.securities_market_value,
        },
    }
