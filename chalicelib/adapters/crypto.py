"""Envelope encryption of single fields (bank account and card numbers) with a KMS data key.

A field is encrypted with AES-256-GCM under a data key that KMS generated and wrapped
(``GenerateDataKey``); the wrapped data key is stored with the ciphertext, so only a holder of
``kms:Decrypt`` on the key can read the field back. One data key serves a process for a few
minutes (``SPSR_DATA_KEY_ID``'s key is asked once per period, not once per field), and unwrapped
keys are cached by their wrapped bytes, so the payroll reads two million numbers with a handful of
KMS calls. The GCM associated data is the field's context (household id and field name): a
ciphertext copied onto another household does not decrypt.

Why not the AWS Encryption SDK: each of its messages carries a full header (suite, encryption
context, every wrapped key), heavy for a 16- or 20-digit field, and version 4 brings the
material-providers runtime, a large dependency for the Lambda package and its cold start; this
envelope needs only ``cryptography``, already in the package (PyJWT's crypto extra).

Format: ``enc1.`` + base64url(2-byte length of the wrapped key | wrapped key | 12-byte nonce |
ciphertext and tag).
"""

from __future__ import annotations

import base64
import os
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "enc1."
_KMS_CONTEXT = {"purpose": "spsr-field"}


class SealedFieldError(ValueError):
    """A sealed value that is malformed, or whose ciphertext or context was altered (no value quoted)."""


class EnvelopeCipher:
    def __init__(self, kms: Any, key_id: str, reuse_seconds: int = 300,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._kms = kms
        self._key_id = key_id
        self._reuse = reuse_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._current: tuple[float, AESGCM, bytes] | None = None  # (since, the key's cipher, wrapped key)
        self._unwrapped: dict[bytes, AESGCM] = {}  # wrapped key -> its cipher

    def _data_key(self) -> tuple[AESGCM, bytes]:
        with self._lock:
            now = self._clock()
            if self._current is None or now - self._current[0] >= self._reuse:
                out = self._kms.generate_data_key(KeyId=self._key_id, KeySpec="AES_256",
                                                  EncryptionContext=_KMS_CONTEXT)
                aead = AESGCM(out["Plaintext"])
                self._current = (now, aead, out["CiphertextBlob"])
                self._unwrapped[out["CiphertextBlob"]] = aead
            return self._current[1], self._current[2]

    def _unwrap(self, wrapped: bytes) -> AESGCM:
        aead = self._unwrapped.get(wrapped)
        if aead is None:
            try:
                aead = AESGCM(self._kms.decrypt(CiphertextBlob=wrapped, EncryptionContext=_KMS_CONTEXT)["Plaintext"])
            except ClientError as err:
                if err.response["Error"]["Code"] == "InvalidCiphertextException":
                    raise SealedFieldError("the sealed field's data key does not decrypt") from None
                raise
            with self._lock:
                self._unwrapped[wrapped] = aead
        return aead

    def seal(self, plain: str, context: str) -> str:
        aead, wrapped = self._data_key()
        nonce = os.urandom(12)
        body = aead.encrypt(nonce, plain.encode(), context.encode())
        raw = struct.pack(">H", len(wrapped)) + wrapped + nonce + body
        return PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def reveal(self, sealed: str, context: str) -> str:
        if not sealed.startswith(PREFIX):
            raise SealedFieldError("the field is not sealed")
        try:
            text = sealed[len(PREFIX):]
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            (n,) = struct.unpack(">H", raw[:2])
            wrapped, nonce, body = raw[2:2 + n], raw[2 + n:14 + n], raw[14 + n:]
        except (ValueError, struct.error):
            raise SealedFieldError("the sealed field is malformed") from None
        if len(wrapped) != n or len(nonce) != 12 or len(body) < 16:
            raise SealedFieldError("the sealed field is malformed")
        try:
            return self._unwrap(wrapped).decrypt(nonce, body, context.encode()).decode()
        except InvalidTag:
            raise SealedFieldError("the sealed field or its context was altered") from None
