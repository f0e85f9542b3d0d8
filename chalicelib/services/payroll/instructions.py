"""Payment instructions from the frozen manifest: one per (beneficiary, programme, month), written in bulk.

The Distributed Map's child gets one part of the manifest (a shard's, or the arrears) and writes its
batches; ``PayrollRepository.add_instructions`` writes a batch in conditional bulk (DynamoDB:
TransactWriteItems of 100 puts, each ``attribute_not_exists``), so a re-run or a concurrent child adds
nothing and can never reset an instruction the bank has already answered. A writer records, when
done, how many lines of each district of its part (or batch) have their instruction
(``layout.instructions_written``):
the pre-payroll summary checks those counts against the manifest before anyone approves.
"""

from __future__ import annotations

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.payroll import Instruction
from chalicelib.services.payroll import layout
from chalicelib.services.payroll.context import PayrollContext
from chalicelib.services.payroll.freeze import Freeze


class Instructions:
    def __init__(self, ctx: PayrollContext, freeze: Freeze) -> None:
        self.ctx = ctx
        self.freeze = freeze

    def write(self, key: str) -> dict[str, int]:
        """``key`` names a manifest part (``.json``: every batch it lists) or one batch (``.lines``)."""
        if key.endswith(".json"):
            part = self.ctx.get_json(key)
            if part is None:
                raise NotFound(f"manifest part {key} not found", code="not_found")
            keys = list(part["batches"])
        else:
            keys = [key]
        written = existing = 0
        at = self.ctx.now()
        districts: dict[str, list[int]] = {}
        for batch in keys:
            lines = list(self.freeze.batch(batch))
            if not lines:
                continue
            instructions = [Instruction(line, "instructed", None, None, False, at) for line in lines]
            new = self.ctx.repo.add_instructions(instructions)  # raises unless each is stored (new or known)
            written += new
            existing += len(instructions) - new
            if len({line.district_code for line in lines}) != 1:
                raise Conflict(f"manifest batch {batch} holds more than one district", code="manifest_format")
            d = districts.setdefault(lines[0].district_code, [0, 0])
            d[0] += len(lines)
            d[1] += sum(line.amount for line in lines)
        self.ctx.put_json(layout.instructions_written(layout.month_of(key), key), {"key": key, "districts": districts})
        return {"written": written, "existing": existing}
