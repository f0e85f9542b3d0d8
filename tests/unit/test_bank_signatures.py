"""Bank callbacks: HMAC-SHA256 over timestamp.body with the bank's secret; stale, forged and replayed
requests change nothing."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import Conflict, Unauthorized
from chalicelib.domain.signatures import sign, verify

SECRET = "bank-secret"
NOW = 1_796_000_000


def check(body: bytes = b'{"a":1}', timestamp: str | None = str(NOW), signature: str | None = None,
          secret: str | None = SECRET, now: int = NOW) -> None:
    sig = signature if signature is not None else sign(SECRET, timestamp or "", body)
    verify(secret=secret, timestamp=timestamp, signature=sig, body=body, now=now, window_seconds=300)


def test_a_correctly_signed_fresh_request_passes() -> None:
    check()
    check(now=NOW + 300)


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"signature": ""}, "missing_signature"),
    ({"timestamp": None}, "missing_signature"),
    ({"signature": "0" * 64}, "bad_signature"),
    ({"secret": None}, "unknown_bank"),
    ({"now": NOW + 301}, "stale_signature"),
    ({"now": NOW - 301}, "stale_signature"),
    ({"timestamp": "yesterday"}, "bad_signature"),
])
def test_unsigned_forged_unknown_or_stale_requests_are_refused(kwargs: dict, code: str) -> None:
    with pytest.raises(Unauthorized) as err:
        check(**kwargs)
    assert err.value.code == code


def test_a_body_changed_after_signing_is_refused() -> None:
    sig = sign(SECRET, str(NOW), b'{"a":1}')
    with pytest.raises(Unauthorized):
        verify(secret=SECRET, timestamp=str(NOW), signature=sig, body=b'{"a":2}', now=NOW, window_seconds=300)


def test_a_replayed_callback_is_refused_and_a_resent_message_is_a_harmless_duplicate() -> None:
    from tests.payroll_fakes import fake_world, run_until_sent

    # Given a month sent to the bank and the bank's first notification, signed
    world = fake_world(n=10)
    run_until_sent(world)
    world.bank.clock = lambda: world.service.clock.now().timestamp()
    (xml,) = world.bank.notifications()
    headers, body = world.bank.signed_callback("camt.054", xml)

    def receive(h: dict[str, str], b: bytes) -> dict:
        return world.service.receive_callback(bank_id=h["X-Bank-Id"], timestamp=h["X-Signature-Timestamp"],
                                              signature=h["X-Signature"], body=b, message_type="camt.054",
                                              document=xml.decode())

    # When it arrives, then arrives again byte for byte (a replay)
    first = receive(headers, body)
    with pytest.raises(Conflict) as replay:
        receive(headers, body)
    # Then the first applies, the replay is refused with 409
    assert first["changed"] == 10 and not first["duplicate"]
    assert replay.value.code == "replayed_callback"
    # And the bank re-sending the same message under a fresh signature is answered as a duplicate
    world.bank.clock = lambda: world.service.clock.now().timestamp() + 1
    headers2, body2 = world.bank.signed_callback("camt.054", xml)
    again = receive(headers2, body2)
    assert again == {"msg_id": first["msg_id"], "duplicate": True, "changed": 0}
    assert len(world.sms.sent) == 10 and world.sms.attempts == 10
