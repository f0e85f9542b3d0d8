"""Token verification: the local shared secret and the Cognito path (RS256 keys from a JWKS)."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.tokens import JwtVerifier
from chalicelib.domain.errors import Unauthorized

ISSUER = "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Pool"
AUDIENCE = "app-client-id"


def _claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "user-1", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600,
            "custom:role": "district_admin", "custom:scope": "1726262", **extra}


@pytest.fixture
def cognito(monkeypatch: pytest.MonkeyPatch) -> tuple[JwtVerifier, Any]:
    """A verifier in Cognito mode whose JWKS holds one RSA key (the JWKS fetch itself is replaced)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    class SigningKey:
        def __init__(self) -> None:
            self.key = key.public_key()

    monkeypatch.setattr(jwt.PyJWKClient, "get_signing_key_from_jwt", lambda self, token: SigningKey())
    verifier = JwtVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url="https://cognito.example/jwks.json")
    return verifier, key


def test_a_cognito_token_maps_custom_attributes_to_role_and_scope(cognito) -> None:
    verifier, key = cognito
    token = jwt.encode(_claims(), key, algorithm="RS256")
    principal = verifier.verify(f"Bearer {token}")
    assert (principal.subject, principal.role, principal.scope) == ("user-1", "district_admin", "1726262")


@pytest.mark.parametrize("change", [{"aud": "another-client"}, {"iss": "https://evil.example"},
                                    {"exp": int(time.time()) - 10}, {"custom:role": "superuser"},
                                    {"custom:scope": ""}])
def test_a_cognito_token_with_a_wrong_claim_is_refused(cognito, change: dict[str, Any]) -> None:
    verifier, key = cognito
    with pytest.raises(Unauthorized):
        verifier.verify(f"Bearer {jwt.encode(_claims(**change), key, algorithm='RS256')}")


def test_in_cognito_mode_a_token_signed_with_the_local_secret_is_refused(cognito) -> None:
    verifier, _ = cognito
    forged = jwt.encode(_claims(), "spsr-local-dev-secret-not-for-production", algorithm="HS256")
    with pytest.raises(Unauthorized):
        verifier.verify(f"Bearer {forged}")


def test_the_local_verifier_refuses_a_token_signed_with_another_secret() -> None:
    right, wrong = "right-secret-of-at-least-thirty-two-bytes", "wrong-secret-of-at-least-thirty-two-bytes"
    verifier = JwtVerifier(issuer=ISSUER, audience=AUDIENCE, secret=right)
    with pytest.raises(Unauthorized):
        verifier.verify(f"Bearer {jwt.encode(_claims(), wrong, algorithm='HS256')}")
    assert verifier.verify(f"Bearer {jwt.encode(_claims(), right, algorithm='HS256')}").role == "district_admin"
