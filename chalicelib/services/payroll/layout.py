"""Where every payroll file lives in the bucket (S3, or a local folder with the same keys): one place.

    payroll/<month>/manifest/manifest.json          the frozen manifest (written last: complete)
    payroll/<month>/manifest/batches.json           the list of batch keys
    payroll/<month>/manifest/batches/<attempt>/     batches of one shard's freeze attempt, one district each
    payroll/<month>/manifest/parts/<nn>.json        one assignment shard's part (what the Map lists)
    payroll/<month>/manifest/parts/arrears.json     the month's arrears, a part like the others
    payroll/<month>/instructions/<part or batch>.json   its instructions written: lines per district
    payroll/<month>/prepayroll/<district>.csv       a district's pre-payroll
    payroll/<month>/prepayroll/districts/<district>.json   its totals (what the summary step merges)
    payroll/<month>/prepayroll/summary.csv          the national summary
    payroll/<month>/pain001/<MsgId>.xml             a payment file
    payroll/<month>/pain001/districts/<district>.json   a district's payment-file records
    payroll/<month>/pain001/manifest.json           every payment file with its SHA-256 (written last)
    payroll/<month>/pain002/<MsgId>.xml             the bank's status report of a file
    payroll/<month>/books/<nn>.json                 one instruction shard's statuses (a reconciliation round)
    payroll/<month>/reconciliation.json             the books of the run
    payroll/callbacks/<bank>/<sha256>.xml           a signed bank callback, kept until the queue applied it
"""

from __future__ import annotations


def base(month: str) -> str:
    return f"payroll/{month}"


def month_of(key: str) -> str:
    """The month of any key under ``base``."""
    return key.split("/", 2)[1]


def manifest(month: str) -> str:
    return f"{base(month)}/manifest/manifest.json"


def batches_list(month: str) -> str:
    return f"{base(month)}/manifest/batches.json"


def batches_prefix(month: str, attempt: str) -> str:
    return f"{base(month)}/manifest/batches/{attempt}/"


def batch(prefix: str, district: str, seq: int) -> str:
    return f"{prefix}{district}-{seq:04d}.lines"


def shard_parts_prefix(month: str) -> str:
    return f"{base(month)}/manifest/parts/"


def shard_part(month: str, shard: int) -> str:
    return f"{shard_parts_prefix(month)}{shard:02d}.json"


def arrears_part(month: str) -> str:
    return f"{shard_parts_prefix(month)}arrears.json"


def instructions_written(month: str, key: str) -> str:
    """The record of a manifest part's (or one batch's) instructions written; outside the parts' prefix,
    which the instruction Map lists."""
    return f"{base(month)}/instructions/{key.removeprefix(base(month) + '/manifest/')}.json"


def prepayroll(month: str, district: str) -> str:
    return f"{base(month)}/prepayroll/{district}.csv"


def prepayroll_totals(month: str, district: str) -> str:
    return f"{base(month)}/prepayroll/districts/{district}.json"


def prepayroll_summary(month: str) -> str:
    return f"{base(month)}/prepayroll/summary.csv"


def pain001(month: str, msg_id: str) -> str:
    return f"{base(month)}/pain001/{msg_id}.xml"


def pain001_district(month: str, district: str) -> str:
    return f"{base(month)}/pain001/districts/{district}.json"


def pain001_manifest(month: str) -> str:
    return f"{base(month)}/pain001/manifest.json"


def pain002(month: str, msg_id: str) -> str:
    return f"{base(month)}/pain002/{msg_id}.xml"


def books_shard(month: str, shard: int) -> str:
    return f"{base(month)}/books/{shard:02d}.json"


def reconciliation(month: str) -> str:
    return f"{base(month)}/reconciliation.json"


def callback(bank_id: str, digest: str) -> str:
    return f"payroll/callbacks/{bank_id}/{digest}.xml"
