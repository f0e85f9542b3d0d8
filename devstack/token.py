"""The local development token issuer: ``make token ROLE=<role> SCOPE=<code>`` prints a bearer token.

Tokens carry the same claims Cognito issues on AWS (``sub``, ``custom:role``, ``custom:scope``,
``iss``, ``aud``, ``exp``) and are signed with the local shared secret, which deployed stages
never accept (they verify Cognito's RS256 signatures against its JWKS).
"""

from __future__ import annotations

import argparse
import sys
import time

import jwt

from chalicelib.config import Settings
from chalicelib.domain.access import ROLES, SCOPE_LEVEL
from chalicelib.domain.identifiers import SCOPE_FORMATS, is_well_formed_scope


def issue(role: str, scope: str = "", *, subject: str | None = None, ttl_seconds: int = 8 * 3600,
          settings: Settings | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if SCOPE_LEVEL[role] != "national" and not scope:
        raise ValueError(f"role {role} needs a scope ({SCOPE_LEVEL[role]} code)")
    if not is_well_formed_scope(SCOPE_LEVEL[role], scope):  # the API would refuse it as invalid_token
        raise ValueError(f"the scope of role {role} is a {SCOPE_LEVEL[role]} code: {SCOPE_FORMATS[SCOPE_LEVEL[role]]}")
    settings = settings or Settings.from_env()
    if not settings.jwt_secret:
        raise ValueError("no local signing secret: this stage verifies Cognito tokens")
    now = int(time.time())
    claims = {
        "sub": subject or f"dev-{role}-{scope or 'national'}",
        "custom:role": role,
        "custom:scope": scope,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a local bearer token (last line of output).")
    parser.add_argument("--role", required=True, choices=ROLES)
    parser.add_argument("--scope", default="", help="region, district or mahalla code; household id for a citizen")
    parser.add_argument("--subject", default=None)
    args = parser.parse_args(argv)
    try:
        token = issue(args.role, args.scope, subject=args.subject)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(token)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
