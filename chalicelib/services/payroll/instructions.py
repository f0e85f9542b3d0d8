"""Payment instructions from the frozen manifest: one per (beneficiary, programme, month), written in bulk.

The Distributed Map's child gets one part of the manifest (a shard's, or the arrears) and writes its
batches; ``PayrollRepository.add_instructions`` writes a batch in conditional bulk (DynamoDB:
TransactWriteItems of 100 puts, each ``attribute_not_exists``), so a re-run or a concurrent child adds
nothing and can never reset an instruction the bank has already answered.
"""

from __future__ import annotations

from chalicelib.domain.errors import NotFound
from chalicelib.domain.payroll import Instruction
from chalicelib.services.payroll.context import PayrollContext
from chalicelib.services.payroll.freeze import Freeze


class Instructions:
    def __init__(self, ctx: PayrollContext, freeze: Freeze) -> None:
        self.ctx = ctx
        self.freeze = freeze

    def write(self, key: str) -> dict[str, int]:
        """``key`` names a manifest part (``.json``: every batch it lists) or one batch (``.csv``)."""
        if key.endswith(".json"):
            part = self.ctx.get_json(key)
            if part is None:
                raise NotFound(f"manifest part {key} not found", code="not_found")
            keys = list(part["batches"])
        else:
            keys = [key]
        written = existing = 0
        at = self.ctx.now()
        for batch in keys:
            instructions = [Instruction(line=line, updated_at=at) for line in self.freeze.batch(batch)]
            new = self.ctx.repo.add_instructions(instructions)
            written += new
            existing += len(instructions) - new
        return {"written": written, "existing": existing}
