"""One pooled urllib3 client for the JSON agencies, mapping transport failures to agency errors."""

from __future__ import annotations

import json
from typing import Any

import urllib3

from chalicelib.agency_ports import AgencyMalformedAnswer, AgencyTimeout, AgencyUnavailable

_POOL = urllib3.PoolManager(num_pools=32, maxsize=16, block=False)


def post_json(
    agency: str, url: str, body: dict[str, Any], *, timeout_s: float, connect_timeout_s: float = 1.0
) -> tuple[int, Any]:
    """POST ``body`` as JSON; returns (status, parsed JSON or None for an empty body).

    Raises AgencyTimeout, AgencyUnavailable (connection errors, HTTP 5xx) or AgencyMalformedAnswer
    (a body that is not JSON). Other statuses are returned for the caller to judge.
    """
    try:
        resp = _POOL.request(
            "POST",
            url,
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            timeout=urllib3.Timeout(connect=min(connect_timeout_s, timeout_s), read=timeout_s),
            retries=False,
        )
    except urllib3.exceptions.NewConnectionError as e:
        # checked first: urllib3 makes it a subclass of ConnectTimeoutError, but nothing timed out
        raise AgencyUnavailable(agency, "connection refused") from e
    except urllib3.exceptions.TimeoutError as e:
        raise AgencyTimeout(agency, "no answer within the timeout") from e
    except urllib3.exceptions.HTTPError as e:
        raise AgencyUnavailable(agency, f"transport error {type(e).__name__}") from e
    if resp.status >= 500:
        raise AgencyUnavailable(agency, f"HTTP {resp.status}")
    if not resp.data:
        return resp.status, None
    try:
        return resp.status, json.loads(resp.data)
    except ValueError as e:
        raise AgencyMalformedAnswer(agency, f"HTTP {resp.status} answer is not JSON") from e
