"""Seeds the registry with the synthetic population (``devstack.population``).

The agency services answer from the same population, so what the registry holds and what the
agencies report agree. Households are written in bulk (batch writes) through the registry's own
repository adapter, so the items have exactly the shape the API reads.
"""

from __future__ import annotations

import argparse
import sys
import time

from chalicelib.adapters.dynamodb import DynamoHouseholdRepository
from chalicelib.bootstrap import aws_client, field_cipher
from chalicelib.config import Settings
from chalicelib.domain.households import Address, BankAccount, ChangeRecord, Document, Household, Member
from devstack.population import SynthHousehold, generate

SEEDER = "seeder"


def to_household(h: SynthHousehold, stamp: str) -> Household:
    members = tuple(
        Member(person_id=p.person_id, pinfl=p.pinfl, surname=p.surname, given_name=p.given_name,
               patronymic=p.patronymic or None, birth_date=p.birth_date, sex=p.sex, relationship=p.relationship,
               document=Document(kind=p.document_kind, number=p.document_number), phone=p.phone,
               language=p.language)
        for p in h.members
    )
    return Household(
        household_id=h.household_id,
        address=Address(region_code=h.region_code, district_code=h.district_code, mahalla_code=h.mahalla_code,
                        address_line=h.address_line),
        members=members,
        bank_account=BankAccount(kind="card", number=h.bank_card),
        version=1, created_at=stamp, updated_at=stamp,
    )


def seed(repo: DynamoHouseholdRepository, households: int, *, seed_value: int = 2026,
         reference_month: str = "2026-11", chunk: int = 500) -> int:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    batch: list[Household] = []
    written = 0
    for synth in generate(households, seed=seed_value, reference_month=reference_month):
        batch.append(to_household(synth, stamp))
        if len(batch) == chunk:
            written += _flush(repo, batch, stamp)
            batch = []
    if batch:
        written += _flush(repo, batch, stamp)
    return written


def _flush(repo: DynamoHouseholdRepository, batch: list[Household], stamp: str) -> int:
    changes = [ChangeRecord(household_id=h.household_id, version=1, at=stamp, actor_id=SEEDER, actor_role="system",
                            action="household_registered", target="household",
                            new={"members": len(h.members), "mahalla_code": h.address.mahalla_code})
               for h in batch]
    repo.put_seed(batch, changes)
    return len(batch)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Seed the registry with synthetic households.")
    parser.add_argument("--households", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reference-month", default=time.strftime("%Y-%m", time.gmtime()))
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    repo = DynamoHouseholdRepository(aws_client("dynamodb", settings), settings.registry_table,
                                      field_cipher(settings))
    started = time.perf_counter()
    count = seed(repo, args.households, seed_value=args.seed, reference_month=args.reference_month)
    print(f"seeded {count} households in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
