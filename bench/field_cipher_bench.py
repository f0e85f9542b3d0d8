"""The cost of sealing and revealing bank numbers (``chalicelib.adapters.crypto``), per number.

KMS is the in-memory stand-in (``devstack.local_kms``): what is measured is the AES-GCM envelope and
the data-key reuse; a real KMS adds one network call per data key (counted in the output).

    .venv/bin/python -m bench.field_cipher_bench [N]
"""

from __future__ import annotations

import json
import sys
import time

from chalicelib.adapters.crypto import EnvelopeCipher
from devstack.local_kms import InMemoryKms


def main(n: int) -> dict[str, object]:
    kms = InMemoryKms()
    writer = EnvelopeCipher(kms, "alias/bench")
    numbers = [f"86001234{i % 10**8:08d}" for i in range(n)]
    wall, cpu = time.perf_counter(), time.process_time()
    sealed = [writer.seal(x, f"hh-{i}/bank_account") for i, x in enumerate(numbers)]
    seal_wall, seal_cpu = time.perf_counter() - wall, time.process_time() - cpu
    reader = EnvelopeCipher(kms, "alias/bench")  # the payment-file writer: another process
    wall, cpu = time.perf_counter(), time.process_time()
    opened = [reader.reveal(s, f"hh-{i}/bank_account") for i, s in enumerate(sealed)]
    reveal_wall, reveal_cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert opened == numbers
    return {"numbers": n, "seal_s": round(seal_wall, 2), "seal_cpu_s": round(seal_cpu, 2),
            "reveal_s": round(reveal_wall, 2), "reveal_cpu_s": round(reveal_cpu, 2),
            "sealed_chars": len(sealed[0]), "kms_calls": dict(kms.calls)}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)))
