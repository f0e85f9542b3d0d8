"""The audit trail on moto: appends, retries, concurrent writers, and ``cli audit verify`` finding tampering."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import boto3
import pytest

from chalicelib import bootstrap, cli
from chalicelib.adapters.audit import DynamoAuditTrail
from chalicelib.adapters.dynamodb import to_item
from chalicelib.config import Settings
from chalicelib.domain.audit import AuditEntry, AuditEvent
from chalicelib.ports import AuditQuery
from devstack import moto_patches


def _entry(n: int, record: str = "hh-1") -> AuditEntry:
    return AuditEntry(actor=f"officer-{n % 2}", role="mahalla_worker", action="update_household",
                      record_id=record, request_id=f"req-{n}", at=f"2026-12-01T09:{n // 60:02d}:{n % 60:02d}.000+00:00")


def _trail(settings: Settings, chains: int = 1) -> DynamoAuditTrail:
    return DynamoAuditTrail(boto3.client("dynamodb", region_name=settings.region), settings.audit_table, chains)


def _verify(monkeypatch: pytest.MonkeyPatch, chains: int = 1) -> tuple[int, dict[str, Any]]:
    monkeypatch.setenv("SPSR_AUDIT_CHAINS", str(chains))
    out = io.StringIO()
    code = cli.main(["audit", "verify"], stdout=out)
    return code, json.loads(out.getvalue())


def _item(settings: Settings, seq: int, chain: str = "00") -> dict[str, Any]:
    db = boto3.client("dynamodb", region_name=settings.region)
    return db.get_item(TableName=settings.audit_table,
                       Key=to_item({"pk": f"CHAIN#{chain}", "sk": f"SEQ#{seq:012d}"}))["Item"]


def _put(settings: Settings, item: dict[str, Any]) -> None:
    boto3.client("dynamodb", region_name=settings.region).put_item(TableName=settings.audit_table, Item=item)


def test_appended_events_verify_and_a_retried_append_is_not_doubled(aws: Settings, monkeypatch) -> None:
    trail = _trail(aws)
    # Given eight events appended, the third one twice (a retry of the same request)
    events = [trail.append(_entry(n)) for n in range(1, 9)]
    again = trail.append(_entry(3))
    # Then the retry returns the stored event, the chain holds eight and the command line says it is whole
    assert again == events[2]
    assert [e.seq for e in trail.events("00")] == list(range(1, 9))
    code, report = _verify(monkeypatch)
    assert code == 0 and report["ok"] and report["events"] == 8
    assert report["heads"]["00"] == {"seq": 8, "hash": events[-1].hash}


@pytest.mark.parametrize("tamper", ["delete", "alter", "swap"])
def test_verify_names_the_first_broken_sequence_number(aws: Settings, monkeypatch, capsys, tamper: str) -> None:
    trail = _trail(aws)
    for n in range(1, 11):
        trail.append(_entry(n))
    db = boto3.client("dynamodb", region_name=aws.region)
    # When one stored event is removed, one field of one is altered, or two are swapped
    if tamper == "delete":
        db.delete_item(TableName=aws.audit_table, Key=to_item({"pk": "CHAIN#00", "sk": f"SEQ#{5:012d}"}))
    elif tamper == "alter":
        item = _item(aws, 5)
        item["actor"] = {"S": "someone-else"}
        _put(aws, item)
    else:
        fifth, sixth = _item(aws, 5), _item(aws, 6)
        _put(aws, {**sixth, "sk": fifth["sk"]})
        _put(aws, {**fifth, "sk": sixth["sk"]})
    code, report = _verify(monkeypatch)
    # Then verify fails and names sequence number 5 of chain 00
    assert code == 1 and not report["ok"]
    assert [(b["chain"], b["seq"]) for b in report["breaks"]] == [("00", 5)]
    assert "chain 00 is broken at sequence number 5" in capsys.readouterr().err


def test_removing_the_newest_event_is_found_from_the_head(aws: Settings, monkeypatch) -> None:
    trail = _trail(aws)
    for n in range(1, 4):
        trail.append(_entry(n))
    boto3.client("dynamodb", region_name=aws.region).delete_item(
        TableName=aws.audit_table, Key=to_item({"pk": "CHAIN#00", "sk": f"SEQ#{3:012d}"}))
    code, report = _verify(monkeypatch)
    assert code == 1 and report["breaks"] == [{"chain": "00", "seq": 3, "reason": "missing"}]


@pytest.fixture
def atomic_transactions():
    """moto's transactions made atomic across threads, as DynamoDB's are (devstack.moto_patches)."""
    moto_patches.install()
    yield
    moto_patches.uninstall()


@pytest.mark.usefixtures("atomic_transactions")
def test_concurrent_writers_each_get_a_place_in_the_chains(aws: Settings, monkeypatch) -> None:
    # Given four writers appending 15 events each at once, over two chains
    trail = _trail(aws, chains=2)
    done: list[AuditEvent] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        for n in range(15):
            event = trail.append(_entry(w * 100 + n, record=f"hh-{w}"))
            with lock:
                done.append(event)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then all 60 are chained, each once, and both chains verify
    stored = [e for c in ("00", "01") for e in trail.events(c)]
    assert len(stored) == 60 and len({e.event_id for e in stored}) == 60
    code, report = _verify(monkeypatch, chains=2)
    assert code == 0 and report["events"] == 60


def test_events_are_found_by_record_and_actor_within_a_time_range(aws: Settings) -> None:
    trail = _trail(aws, chains=4)
    for n in range(1, 13):
        trail.append(_entry(n, record="hh-a" if n % 3 else "hh-b"))
    service = bootstrap.audit_service(aws.model_copy(update={"audit_chains": 4}))
    assert service.verify().ok
    page = trail.find(AuditQuery(record_id="hh-b"))
    assert [e.request_id for e in page.items] == ["req-3", "req-6", "req-9", "req-12"]
    window = trail.find(AuditQuery(actor="officer-0", since="2026-12-01T09:00:04", until="2026-12-01T09:00:08"))
    assert [e.request_id for e in window.items] == ["req-4", "req-6", "req-8"]
    first = trail.find(AuditQuery(record_id="hh-a", limit=3))
    rest = trail.find(AuditQuery(record_id="hh-a", limit=10, cursor=first.cursor))
    assert len(first.items) == 3 and len(rest.items) == 5 and rest.cursor is None


def test_without_a_record_or_actor_the_whole_trail_is_read_chain_by_chain(aws: Settings) -> None:
    # Given 10 events over 3 chains
    trail = _trail(aws, chains=3)
    appended = [trail.append(_entry(n)) for n in range(1, 11)]
    # When they are read 4 at a time with no filter
    seen, cursor, pages = [], None, 0
    while True:
        page = trail.find(AuditQuery(limit=4, cursor=cursor))
        seen += page.items
        pages += 1
        if page.cursor is None:
            break
        cursor = page.cursor
    # Then every event comes once, each chain in sequence order
    assert sorted(e.event_id for e in seen) == sorted(e.event_id for e in appended)
    assert [(e.chain, e.seq) for e in seen] == sorted((e.chain, e.seq) for e in appended)
    in_window = trail.find(AuditQuery(since="2026-12-01T09:00:03", until="2026-12-01T09:00:05", limit=100))
    assert {e.request_id for e in in_window.items} <= {"req-3", "req-4", "req-5"}
