"""Evidence documents on S3 (KMS-encrypted JSON), one per application and collection attempt.

The object is ``{"evidence": <assessment.schema.json evidence>, "manual_agencies": [...]}``: the
document the rules read and the agencies whose facts in it staff entered by hand. A collection that
waits for agencies keeps its rounds beside it (``put_rounds``): the answers received so far, by agency.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import codec
from chalicelib.domain.evidence import AgencyFacts, CollectedEvidence, CollectionRounds


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

    def put_rounds(self, key: str, rounds: CollectionRounds) -> None:
        body = {"rounds": rounds.rounds, "first_at": rounds.first_at, "answers": {
            agency: {"persons": {pid: codec.person_facts_to(f) for pid, f in facts.persons.items()},
                     "not_known": list(facts.not_known)} for agency, facts in rounds.answers.items()}}
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=json.dumps(body, sort_keys=True).encode(),
                            ContentType="application/json", ServerSideEncryption="aws:kms")

    def get_rounds(self, key: str) -> CollectionRounds | None:
        try:
            data = json.loads(self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read())
        except ClientError as err:
            if err.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise
        answers = {agency: AgencyFacts(agency, {pid: codec.person_facts_from(f) for pid, f in a["persons"].items()},
                                       tuple(a["not_known"])) for agency, a in data["answers"].items()}
        return CollectionRounds(int(data["rounds"]), data["first_at"], answers)
