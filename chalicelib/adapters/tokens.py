"""Bearer JWT verification: Cognito (RS256, JWKS) on AWS, the shared-secret dev issuer locally.

Claims read (see README "Access"): ``sub``, ``custom:role`` (or ``role``) and ``custom:scope``
(or ``scope``). A token that fails any check is refused with one message; why it failed is not
told to the caller. A deployed stage whose token settings are incomplete gets ``UnconfiguredVerifier``:
every token is refused with 503 ``service_misconfigured``, nothing falls back to the local secret.
"""

from __future__ import annotations

from typing import Any

import jwt

from chalicelib.domain.access import ROLES, SCOPE_LEVEL, Principal
from chalicelib.domain.errors import ServiceMisconfigured, Unauthorized


class UnconfiguredVerifier:
    """Stands in for the verifier where the stage lacks what verification needs: 503 for every token."""

    def verify(self, authorization: str | None) -> Principal:
        raise ServiceMisconfigured()


class JwtVerifier:
    def __init__(self, *, issuer: str, audience: str, secret: str | None = None,
                 jwks_url: str | None = None) -> None:
        if not secret and not jwks_url:
            raise ValueError("a shared secret or a JWKS URL is required")
        self._issuer = issuer
        self._audience = audience
        self._secret = secret
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None

    def verify(self, authorization: str | None) -> Principal:
        if not authorization or not authorization.startswith("Bearer "):
            raise Unauthorized("a bearer token is required", field="Authorization", code="missing_token")
        token = authorization[len("Bearer "):].strip()
        try:
            key: Any
            if self._jwks is not None:
                key, algorithms = self._jwks.get_signing_key_from_jwt(token).key, ["RS256"]
            else:
                key, algorithms = self._secret, ["HS256"]
            claims = jwt.decode(token, key, algorithms=algorithms, audience=self._audience, issuer=self._issuer,
                                options={"require": ["exp", "sub", "iss"]})
        except jwt.PyJWTError:
            raise Unauthorized("the token is invalid or expired", field="Authorization",
                               code="invalid_token") from None
        role = claims.get("custom:role", claims.get("role"))
        scope = str(claims.get("custom:scope", claims.get("scope", "")))
        if role not in ROLES:
            raise Unauthorized("the token carries no known role", field="Authorization", code="invalid_token")
        if SCOPE_LEVEL[role] != "national" and not scope:
            raise Unauthorized("the token carries no scope for its role", field="Authorization",
                               code="invalid_token")
        return Principal(subject=str(claims["sub"]), role=role, scope=scope)
