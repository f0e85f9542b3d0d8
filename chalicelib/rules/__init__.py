"""The Uzbek rules as code: an OpenFisca country package (entities, dated parameters, variables).

``UzbekistanTaxBenefitSystem`` loads the parameters under ``parameters/`` (each value dated, with its
legal reference or ``assumed: true`` and the open question) and the variables of ``variables/``.
``tax_benefit_system()`` builds it once per process. ``RULES_VERSION`` is the package version plus a
hash of the parameter files and the formula sources: the same evidence under the same rules version
gives the same decision.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from chalicelib.rules.entities import entities
from chalicelib.rules.variables.family import FAMILY_VARIABLES
from chalicelib.rules.variables.inputs import INPUT_VARIABLES
from chalicelib.rules.variables.means_test import MEANS_TEST_VARIABLES
from chalicelib.rules.variables.programmes import PROGRAMME_VARIABLES

__version__ = "1.0.0"

PACKAGE_DIR = Path(__file__).resolve().parent
PARAMETERS_DIR = PACKAGE_DIR / "parameters"
SCHEMA_PATH = PACKAGE_DIR / "assessment.schema.json"


class UzbekistanTaxBenefitSystem(TaxBenefitSystem):
    """Social protection rules of Uzbekistan from 1 Sep 2021 (decree UP-6277, PKM-654)."""

    CURRENCY = "UZS"

    def __init__(self) -> None:
        super().__init__(entities)
        self.load_parameters(str(PARAMETERS_DIR))
        self.add_variables(*INPUT_VARIABLES, *FAMILY_VARIABLES, *MEANS_TEST_VARIABLES, *PROGRAMME_VARIABLES)


def _rules_hash() -> str:
    digest = hashlib.sha256()
    files = sorted(PARAMETERS_DIR.rglob("*.yaml")) + sorted((PACKAGE_DIR / "variables").glob("*.py"))
    for path in files:
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


RULES_VERSION = f"{__version__}+{_rules_hash()}"


@functools.lru_cache(maxsize=1)
def tax_benefit_system() -> UzbekistanTaxBenefitSystem:
    """The rules, built once per process (loading parameters and variables takes ~0.1 s)."""
    return UzbekistanTaxBenefitSystem()
