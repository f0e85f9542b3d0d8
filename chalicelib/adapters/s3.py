"""S3 document store: presigned POST uploads with size, type and encryption enforced by S3 itself."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.ports import UploadTicket


class S3DocumentStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self._bucket = bucket

    def upload_ticket(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> UploadTicket:
        # The policy conditions make S3 refuse a larger file, another content type or an
        # unencrypted upload, whatever the client sends.
        fields = {"Content-Type": content_type, "x-amz-server-side-encryption": "aws:kms"}
        conditions: list[Any] = [
            {"Content-Type": content_type},
            {"x-amz-server-side-encryption": "aws:kms"},
            ["content-length-range", 1, max_bytes],
        ]
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
        )
        return UploadTicket(url=post["url"], fields=dict(post["fields"]), expires_in=expires_in)

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True
