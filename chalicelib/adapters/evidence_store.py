"""Evidence documents on S3 (KMS-encrypted JSON), one per application and collection attempt."""

from __future__ import annotations

import json
from typing import Any


class S3EvidenceStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self._bucket = bucket

    def put(self, key: str, document: dict[str, object]) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=json.dumps(document, sort_keys=True).encode(),
                            ContentType="application/json", ServerSideEncryption="aws:kms")

    def get(self, key: str) -> dict[str, object]:
        body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        data: dict[str, object] = json.loads(body)
        return data
