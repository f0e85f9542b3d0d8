"""SMS through Amazon SNS (transactional messages to a phone number)."""

from __future__ import annotations

from typing import Any


class SnsSms:
    def __init__(self, client: Any, sender_id: str = "SPSR") -> None:
        self._sns = client
        self._sender_id = sender_id

    def send(self, phone: str, text: str) -> str:
        out = self._sns.publish(PhoneNumber=phone, Message=text, MessageAttributes={
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": self._sender_id},
        })
        return str(out["MessageId"])
