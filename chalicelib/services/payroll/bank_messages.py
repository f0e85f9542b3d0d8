"""Bank messages: pain.002 status reports and camt.054 notifications, and the signed callbacks that bring them.

Both move instructions forward only (``domain.payroll.advance``); a message id handled before changes
nothing. A callback is checked at once (HMAC signature, stale timestamp, replay: 401 or 409, still
synchronous), parsed (a malformed message is a 400) and, when a queue is configured, acknowledged
with 202 and applied later by the queue's consumer (``apply_queued``): the document waits on the file
store under its digest, the queue message names it. The consumer is idempotent on the bank's MsgId,
so SQS delivering a message twice, or the bank posting the same message in two signed requests,
applies it once. A rejection first marks the instruction for retry (arrears), then moves it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from chalicelib import iso20022
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.signatures import verify
from chalicelib.services.payroll import layout
from chalicelib.services.payroll.context import PayrollContext

MESSAGE_TYPES = ("camt.054", "pain.002")


class BankMessages:
    def __init__(self, ctx: PayrollContext) -> None:
        self.ctx = ctx

    def apply_status_report(self, bank_id: str, data: bytes, carried: list[str] | None = None) -> dict[str, Any]:
        """A pain.002: rejections with their reason, acceptances. A file rejected as a whole (group status
        RJCT, no transaction detail) rejects every transfer it ``carried``, with the group's reason."""
        ctx = self.ctx
        report = iso20022.read_pain002(data)
        if ctx.repo.message_handled(bank_id, report.msg_id):
            return {"msg_id": report.msg_id, "duplicate": True, "changed": 0}
        changed = 0
        rejected = dict(report.rejected)
        if report.group_status == "RJCT" and not rejected and not report.accepted:
            rejected = dict.fromkeys(carried or (), report.group_reason or "NARR")
        for e2e, code in rejected.items():
            changed += self._advance(e2e, "reject", reason=code)
        for e2e in report.accepted:
            changed += self._advance(e2e, "accept")
        ctx.repo.claim_message(bank_id, report.msg_id, "pain.002", ctx.now())
        return {"msg_id": report.msg_id, "duplicate": False, "changed": changed}

    def apply_notification(self, bank_id: str, data: bytes) -> dict[str, Any]:
        ctx = self.ctx
        note = iso20022.read_camt054(data)
        if ctx.repo.message_handled(bank_id, note.msg_id):
            return {"msg_id": note.msg_id, "duplicate": True, "changed": 0}
        changed = 0
        for entry in note.entries:
            ins = ctx.repo.get_instruction(entry.end_to_end_id)
            if ins is None or entry.amount != ins.line.amount:
                continue  # not ours or not what we sent: left for the operators (the books show it pending)
            changed += self._advance(entry.end_to_end_id, "pay" if entry.kind == "paid" else "return",
                                     reason=entry.reason)
            if entry.kind == "paid":
                self._notify_credited(entry.end_to_end_id)
        # Handled only once applied: a crash above leaves the message to be applied again, harmlessly.
        ctx.repo.claim_message(bank_id, note.msg_id, "camt.054", ctx.now())
        return {"msg_id": note.msg_id, "duplicate": False, "changed": changed}

    def _advance(self, iid: str, event: str, reason: str | None = None) -> int:
        ctx = self.ctx
        for _ in range(3):  # a concurrent message may move it first; re-read and try again
            ins = ctx.repo.get_instruction(iid)
            if ins is None:
                return 0
            moved = ins.moved(event, reason=reason, at=ctx.now())
            if moved is None:
                return 0
            if moved.status == "rejected":
                # Marked before the move: a crash between the two leaves a mark the arrears step skips
                # (its instruction is not rejected), never a rejection without its mark.
                ctx.repo.mark_for_retry(moved)
            if ctx.repo.move(ins, moved):
                return 1
        return 0

    def _notify_credited(self, iid: str) -> None:
        ctx = self.ctx
        ins = ctx.repo.get_instruction(iid)
        if ins is None or ins.status != "paid":
            return
        household = ctx.households.get(ins.line.household_id)
        member = next((m for m in household.members if m.person_id == ins.line.beneficiary_person_id), None) \
            if household else None
        if member is None or not member.phone:
            return
        # At most once per key, so a replayed notification or a re-run sends nothing more.
        ctx.sms.send(f"payment_credited:{iid}", member.phone, member.language, "payment_credited",
                     {"amount": ins.line.amount, "programme": ins.line.programme, "month": ins.line.month})

    # ------------------------------------------------------------------ callbacks

    def receive_callback(self, *, bank_id: str | None, timestamp: str | None, signature: str | None,
                         body: bytes, message_type: str, document: str) -> dict[str, Any]:
        """A signed bank callback (see ``domain.signatures``); replays answer 409, repeats 200 duplicate.
        With a queue, the message is kept and queued (``queued``: true, 202) and applied by ``apply_queued``."""
        ctx = self.ctx
        now = int(ctx.clock.now().timestamp())
        bank = bank_id or ""
        secret = ctx.bank_secrets.secret(bank) if ctx.bank_secrets else ctx.settings.bank_secret(bank)
        verify(secret=secret, timestamp=timestamp, signature=signature,
               body=body, now=now, window_seconds=ctx.settings.bank_callback_window_seconds)
        assert bank_id is not None and signature is not None
        expires = now + 2 * ctx.settings.bank_callback_window_seconds
        if not ctx.repo.claim_signature(bank_id, signature.lower(), expires):
            raise Conflict("this signed request was received before", field="X-Signature", code="replayed_callback")
        data = document.encode()
        if ctx.bank_queue is None:  # no queue (local runs, tests): applied in the request
            return self._apply(bank_id, message_type, data)
        try:
            msg_id = (iso20022.read_camt054(data) if message_type == "camt.054" else iso20022.read_pain002(data)).msg_id
        except iso20022.MalformedMessage as err:
            raise ValidationFailed(str(err), field="document", code="invalid_message") from None
        if ctx.repo.message_handled(bank_id, msg_id):
            return {"msg_id": msg_id, "duplicate": True, "changed": 0, "queued": False}
        key = layout.callback(bank_id, hashlib.sha256(data).hexdigest())
        ctx.files.put(key, data, "application/xml")
        ctx.bank_queue.send({"bank_id": bank_id, "message_type": message_type, "key": key, "msg_id": msg_id})
        return {"msg_id": msg_id, "duplicate": False, "changed": 0, "queued": True}

    def apply_queued(self, bank_id: str, message_type: str, key: str) -> dict[str, Any]:
        """A queued callback, applied (the queue's consumer); the same message again changes nothing."""
        if message_type not in MESSAGE_TYPES:
            raise ValidationFailed("unknown bank message type", field="message_type", code="invalid_message")
        data = self.ctx.files.get(key)
        if data is None:
            raise NotFound(f"queued bank message {key} not found", code="not_found")
        return self._apply(bank_id, message_type, data)

    def _apply(self, bank_id: str, message_type: str, data: bytes) -> dict[str, Any]:
        try:
            if message_type == "camt.054":
                return self.apply_notification(bank_id, data)
            return self.apply_status_report(bank_id, data)
        except iso20022.MalformedMessage as err:
            raise ValidationFailed(str(err), field="document", code="invalid_message") from None
