"""KMS in memory, for unit tests and benchmarks that run without moto (never deployed).

Only the two calls the envelope cipher makes (``chalicelib.adapters.crypto``): data keys are
wrapped under one master key with AES-GCM, the encryption context bound as associated data, so a
wrong context fails as it does on KMS. ``calls`` counts the calls made.
"""

from __future__ import annotations

import json
import os
from collections import Counter

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class InMemoryKms:
    """KMS in memory: data keys wrapped under one master key (AES-GCM, the encryption context bound)."""

    def __init__(self) -> None:
        self._master = AESGCM.generate_key(bit_length=256)
        self.calls: Counter[str] = Counter()

    def generate_data_key(self, *, KeyId: str, KeySpec: str, EncryptionContext: dict[str, str]) -> dict[str, bytes]:
        self.calls["GenerateDataKey"] += 1
        key, nonce = os.urandom(32), os.urandom(12)
        aad = json.dumps(EncryptionContext, sort_keys=True).encode()
        return {"Plaintext": key, "CiphertextBlob": nonce + AESGCM(self._master).encrypt(nonce, key, aad)}

    def decrypt(self, *, CiphertextBlob: bytes, EncryptionContext: dict[str, str]) -> dict[str, bytes]:
        self.calls["Decrypt"] += 1
        aad = json.dumps(EncryptionContext, sort_keys=True).encode()
        return {"Plaintext": AESGCM(self._master).decrypt(CiphertextBlob[:12], CiphertextBlob[12:], aad)}
