"""Envelope encryption of bank numbers: round trip, context binding, tampering, and few KMS calls."""

from __future__ import annotations

import pytest

from chalicelib.adapters.crypto import EnvelopeCipher, SealedFieldError
from chalicelib.domain.households import BankAccount, bank_context, mask_number, sealed_ciphertext
from devstack.local_kms import InMemoryKms


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_sealed_number_opens_only_in_its_own_context() -> None:
    cipher = EnvelopeCipher(InMemoryKms(), "alias/test")
    # Given a card number sealed for household hh-1
    sealed = cipher.seal("8600123456789012", bank_context("hh-1"))
    # Then the digits are nowhere in it, it opens in its context, and not in another household's
    assert "8600123456789012" not in sealed
    assert cipher.reveal(sealed, bank_context("hh-1")) == "8600123456789012"
    with pytest.raises(SealedFieldError):
        cipher.reveal(sealed, bank_context("hh-2"))


def test_an_altered_or_malformed_ciphertext_is_refused_without_quoting_it() -> None:
    cipher = EnvelopeCipher(InMemoryKms(), "alias/test")
    sealed = cipher.seal("20208000900123456001", "hh-1/bank_account")
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    for bad in (flipped, "enc1.AAAA", "plain-digits", sealed[:30]):
        with pytest.raises(SealedFieldError) as err:
            cipher.reveal(bad, "hh-1/bank_account")
        assert "2020" not in str(err.value)


def test_one_data_key_serves_many_fields_for_a_period_and_unwrapped_keys_are_cached() -> None:
    kms, ticks = InMemoryKms(), Ticks()
    cipher = EnvelopeCipher(kms, "alias/test", reuse_seconds=300, clock=ticks)
    # Given 1,000 numbers sealed within one period, and 1,000 more after it
    first = [cipher.seal(f"86001234{i:08d}", f"hh-{i}/bank_account") for i in range(1000)]
    ticks.now = 301.0
    second = [cipher.seal(f"86001234{i:08d}", f"hh-{i}/bank_account") for i in range(1000)]
    # When a fresh process (the payment-file writer) opens all of them
    reader = EnvelopeCipher(kms, "alias/test")
    opened = [reader.reveal(s, f"hh-{i % 1000}/bank_account") for i, s in enumerate(first + second)]
    # Then KMS made two data keys and unwrapped each once
    assert opened == [f"86001234{i % 1000:08d}" for i in range(2000)]
    assert kms.calls == {"GenerateDataKey": 2, "Decrypt": 2}
    assert len(set(first)) == 1000  # a fresh nonce per field: equal numbers do not look equal


def test_a_bank_account_keeps_its_mask_beside_the_ciphertext() -> None:
    account = BankAccount(kind="card", number="8600123456789012")
    stored = account.sealed_with("enc1.xyz")
    assert stored.sealed and not account.sealed
    assert stored.masked() == account.masked() == mask_number(stored.number) == "************9012"
    assert sealed_ciphertext(stored.number) == "enc1.xyz"
    assert stored.shown() == {"kind": "card", "number": "************9012", "bank_code": "XALQ"}
