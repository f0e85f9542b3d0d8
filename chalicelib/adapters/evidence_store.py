"""Evidence documents on S3 (KMS-encrypted JSON), one per application and collection attempt.

The object is ``{"evidence": <assessment.schema.json evidence>, "manual_agencies": [...]}``: the
document the rules read and the agencies whose facts in it staff entered by hand.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.domain.evidence import CollectedEvidence


class S3EvidenceStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self._bucket = bucket

    def put(self, key: str, evidence: CollectedEvidence) -> None:
        body = {"evidence": evidence.document, "manual_agencies": list(evidence.manual_agencies)}
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=json.dumps(body, sort_keys=True).encode(),
                            ContentType="application/json", ServerSideEncryption="aws:kms")

    def get(self, key: str) -> CollectedEvidence:
        data = json.loads(self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read())
        return CollectedEvidence(document=data["evidence"], manual_agencies=tuple(data.get("manual_agencies", ())))
