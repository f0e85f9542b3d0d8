"""Sending SMS at most once per key, in the recipient's language (implements ``SmsPort``).

The marker is written before the SMS goes out: a step retried after the send finds the marker and
sends nothing, so a family never gets the same message twice. The price is that a crash between
marker and send loses that one SMS; the marker stays ``sending`` and shows up in the log for staff.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from chalicelib.domain.notifications import render
from chalicelib.ports import Clock, NotificationLog, SmsSender

logger = Logger(service="spsr-notifications")


class NotificationService:
    def __init__(self, log: NotificationLog, sender: SmsSender, clock: Clock) -> None:
        self._log = log
        self._sender = sender
        self._clock = clock

    def send(self, key: str, phone: str, language: str, template: str, params: dict[str, object]) -> bool:
        sms = render(template, language, params)
        record: dict[str, object] = {
            "template": template, "language": language, "segments": sms.segments, "encoding": sms.encoding,
            "at": self._clock.now().isoformat(timespec="seconds"),
        }
        if not self._log.claim(key, record):
            logger.info("sms already sent", extra={"key": key, "template": template})
            return False
        message_id = self._sender.send(phone, sms.text)
        self._log.mark_sent(key, message_id)
        logger.info("sms sent", extra={"key": key, "template": template, "language": language,
                                       "segments": sms.segments})
        return True
