"""The payroll's repository in a local SQLite file: benchmarks and offline runs, never deployed.

Same contract as ``DynamoPayrollRepository`` (``ports.PayrollRepository``): an instruction is added
only if its id is new (INSERT OR IGNORE on a unique index), moved only from the status it was read at
(UPDATE ... WHERE status = ?), and a month is read in district order. Holding two million
instructions costs disk, not memory.

Rows are appended in arrival order (a rowid table): the unique id index and a (month, district)
index are the only B-trees an insert walks, both small enough for the page cache; a district is
sorted by id when read. Lines are stored as ``domain.payroll`` line text.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path

from chalicelib.adapters.payroll import RUN_SHARDS
from chalicelib.adapters.payroll import _shard as instruction_shard
from chalicelib.domain.payroll import (
    LINES_HEADER,
    BackPay,
    Instruction,
    PaymentLine,
    PayrollRun,
    lines_from_text,
    lines_text,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instruction (
    month TEXT NOT NULL, district TEXT NOT NULL, id TEXT NOT NULL, status TEXT NOT NULL,
    reason TEXT, file_msg_id TEXT, retry_pending INTEGER NOT NULL, updated_at TEXT NOT NULL, line TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS instruction_id ON instruction (id);
CREATE INDEX IF NOT EXISTS instruction_district ON instruction (month, district);
CREATE TABLE IF NOT EXISTS run (month TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS message (bank TEXT, msg_id TEXT, kind TEXT, at TEXT, PRIMARY KEY (bank, msg_id));
CREATE TABLE IF NOT EXISTS signature (bank TEXT, sig TEXT, expires_at INTEGER, PRIMARY KEY (bank, sig));
CREATE TABLE IF NOT EXISTS retry (id TEXT PRIMARY KEY, status TEXT, line TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS back_pay (assignment_id TEXT PRIMARY KEY, grievance_id TEXT NOT NULL,
    marked_at TEXT NOT NULL);
"""


class SqlitePayrollRepository:
    shard_count = RUN_SHARDS

    def __init__(self, path: str | Path, commit_every: int = 50_000, durable: bool = True) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=60)
        # A large page cache: two million random-key inserts otherwise thrash a 2 MB default cache.
        # durable=False (benchmarks on a scratch file): no journal and no fsync, so a crash loses the file.
        journal = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" if durable else \
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
        self._db.executescript(journal + "PRAGMA cache_size=-262144;" + _SCHEMA)
        self._pending = 0
        self._commit_every = commit_every

    def _wrote(self) -> None:
        self._pending += 1
        if self._pending >= self._commit_every:
            self.commit()

    def commit(self) -> None:
        self._db.commit()
        self._pending = 0

    @staticmethod
    def _line_text(line: PaymentLine) -> str:
        return lines_text([line]).decode().split("\n", 1)[1]

    @staticmethod
    def _line(text: str) -> PaymentLine:
        return lines_from_text(f"{LINES_HEADER}\n{text}".encode())[0]

    def add_instruction(self, instruction: Instruction) -> bool:
        return self.add_instructions([instruction]) == 1

    def add_instructions(self, instructions: list[Instruction]) -> int:
        """INSERT OR IGNORE on the unique id, in one statement per batch: a known id adds nothing."""
        before = self._db.total_changes
        ordered = sorted(instructions)  # by id: consecutive inserts into the id index land on neighbouring pages
        texts = lines_text([i.line for i in ordered]).decode().split("\n")[1:]
        self._db.executemany(
            "INSERT OR IGNORE INTO instruction VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(i.line.month, i.line.district_code, i.line.instruction_id, i.status, i.reason, i.file_msg_id,
              int(i.retry_pending), i.updated_at, text) for i, text in zip(ordered, texts, strict=True)])
        self._pending += len(instructions)
        if self._pending >= self._commit_every:
            self.commit()
        return self._db.total_changes - before

    def mark_for_retry(self, instruction: Instruction) -> None:
        self._db.execute("INSERT OR REPLACE INTO retry VALUES (?, ?, ?)",
                         (instruction.instruction_id, instruction.status, self._line_text(instruction.line)))
        self.commit()

    def retries(self) -> Iterator[Instruction]:
        for status, line in self._db.execute("SELECT status, line FROM retry ORDER BY id").fetchall():
            yield Instruction(line=self._line(line), status=status, retry_pending=True)

    def mark_back_pay(self, mark: BackPay) -> None:
        self._db.execute("INSERT OR REPLACE INTO back_pay VALUES (?, ?, ?)",
                         (mark.assignment_id, mark.grievance_id, mark.marked_at))
        self.commit()

    def back_pays(self) -> Iterator[BackPay]:
        for assignment_id, grievance_id, marked_at in self._db.execute(
                "SELECT assignment_id, grievance_id, marked_at FROM back_pay ORDER BY assignment_id").fetchall():
            yield BackPay(assignment_id, grievance_id, marked_at)

    @staticmethod
    def _instruction(row: tuple[str, str, str | None, str | None, int, str, str]) -> Instruction:
        status, _, reason, file_msg_id, retry, updated_at, line = row
        return Instruction(line=SqlitePayrollRepository._line(line), status=status, reason=reason,
                           file_msg_id=file_msg_id, retry_pending=bool(retry), updated_at=updated_at)

    def get_instruction(self, instruction_id: str) -> Instruction | None:
        row = self._db.execute("SELECT status, id, reason, file_msg_id, retry_pending, updated_at, line "
                               "FROM instruction WHERE id = ?", (instruction_id,)).fetchone()
        return self._instruction(row) if row else None

    def move(self, current: Instruction, new: Instruction) -> bool:
        cur = self._db.execute(
            "UPDATE instruction SET status = ?, reason = ?, file_msg_id = ?, retry_pending = ?, updated_at = ? "
            "WHERE id = ? AND status = ?",
            (new.status, new.reason, new.file_msg_id, int(new.retry_pending), new.updated_at,
             current.instruction_id, current.status))
        self._wrote()
        return cur.rowcount == 1

    def instructions(self, month: str, district_code: str | None = None,
                     shard: int | None = None) -> Iterator[Instruction]:
        self.commit()
        sql = ("SELECT status, id, reason, file_msg_id, retry_pending, updated_at, line, district FROM instruction "
               "WHERE month = ?")
        args: tuple[str, ...] = (month,)
        if district_code is not None:
            sql += " AND district = ?"
            args += (district_code,)
        cur = self._db.cursor()  # its own cursor: writes may happen while the caller iterates
        rows = cur.execute(sql + " ORDER BY district", args)
        wanted = None if shard is None else f"{shard:02d}"
        for _, group in groupby(rows, key=lambda r: r[7]):
            for row in sorted(group, key=lambda r: r[1]):
                if wanted is None or instruction_shard(row[1]) == wanted:
                    yield self._instruction(row[:7])

    def get_run(self, month: str) -> PayrollRun | None:
        row = self._db.execute("SELECT data FROM run WHERE month = ?", (month,)).fetchone()
        return PayrollRun.from_dict(json.loads(row[0])) if row else None

    def save_run(self, run: PayrollRun) -> bool:
        stored = self.get_run(run.month)
        if (stored.version if stored else 0) != run.version:
            return False
        data = json.dumps({**run.as_dict(), "version": run.version + 1})
        self._db.execute("INSERT OR REPLACE INTO run VALUES (?, ?)", (run.month, data))
        self.commit()
        run.version += 1
        return True

    def runs(self) -> list[PayrollRun]:
        return [PayrollRun.from_dict(json.loads(r[0])) for r in self._db.execute("SELECT data FROM run")]

    def claim_message(self, bank_id: str, msg_id: str, kind: str, at: str) -> bool:
        cur = self._db.execute("INSERT OR IGNORE INTO message VALUES (?, ?, ?, ?)", (bank_id, msg_id, kind, at))
        self.commit()
        return cur.rowcount == 1

    def message_handled(self, bank_id: str, msg_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM message WHERE bank = ? AND msg_id = ?",
                                (bank_id, msg_id)).fetchone() is not None

    def claim_signature(self, bank_id: str, signature: str, expires_at: int) -> bool:
        cur = self._db.execute("INSERT OR IGNORE INTO signature VALUES (?, ?, ?)", (bank_id, signature, expires_at))
        self.commit()
        return cur.rowcount == 1

    def close(self) -> None:
        self.commit()
        self._db.close()


class OncePerKeySms:
    """Records SMS instead of sending them, at most once per key (the benchmark sends none)."""

    def __init__(self) -> None:
        self.sent: dict[str, tuple[str, str, dict[str, object]]] = {}
        self._lock = threading.Lock()

    def send(self, key: str, phone: str, language: str, template: str, params: dict[str, object]) -> bool:
        with self._lock:
            if key in self.sent:
                return False
            self.sent[key] = (language, template, params)
        return True
