"""Bearer JWT verification: Cognito (RS256, JWKS) on AWS, the shared-secret dev issuer locally.

Claims read (see README "Access"): ``sub``, ``custom:role`` (or ``role``) and ``custom:scope``
(or ``scope``), which must be the code format of the role's level (a mahalla worker's is 10 digits, a
region admin's 4, a citizen's a household id, a national role's empty). A token that fails any
check is refused with ``invalid_token``; why it failed is not told to the caller. A deployed stage
whose token settings are incomplete gets ``UnconfiguredVerifier``: every token is refused with 503
``service_misconfigured``, nothing falls back to the local secret.
"""

from __future__ import annotations

from typing import Any

import jwt

from chalicelib.domain.access import ROLES, SCOPE_LEVEL, Principal
from chalicelib.domain.errors import ServiceMisconfigured, Unauthorized
from chalicelib.domain.identifiers import is_well_formed_scope


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
        scope = claims.get("custom:scope", claims.get("scope", ""))
        if not isinstance(scope, str) or not isinstance(claims["sub"], str):
            raise Unauthorized("the token's claims are not strings", field="Authorization", code="invalid_token")
        if role not in ROLES:
            raise Unauthorized("the token carries no known role", field="Authorization", code="invalid_token")
        if not is_well_formed_scope(SCOPE_LEVEL[role], scope):
            raise Unauthorized(f"the token's scope is not a {SCOPE_LEVEL[role]} scope", field="Authorization",
                               code="invalid_token")
        return Principal(subject=str(claims["sub"]), role=role, scope=scope)
