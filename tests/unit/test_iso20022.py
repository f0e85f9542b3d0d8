"""ISO 20022 files: pain.001 written as a stream validates against the XSD, split files keep ids unique,
and pain.002 / camt.054 read back what the bank wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib import iso20022
from chalicelib.domain.payroll import PaymentLine, instruction_id

DEBTOR = iso20022.Debtor("Ministry of Economy and Finance", "23402000300100001010", "00014")


def lines(n: int, bank: str = "XALQ") -> list[PaymentLine]:
    return [PaymentLine(instruction_id=instruction_id(f"per-{i}", "child_allowance", "2026-12"), month="2026-12",
                        assignment_id=f"app-{i}:child_allowance", household_id=f"hh-{i}",
                        beneficiary_person_id=f"per-{i}", programme="child_allowance", amount=250_000 + i, lump_sum=0,
                        region_code="1726", district_code="1726262", mahalla_code="1726262010", bank_code=bank,
                        account_kind="card", account_number=f"86001234{i:08d}",
                        payee_name="O'g'ilxon & <Qizlarxon> \"Opa\"") for i in range(n)]


def write(path: Path, chunk: list[PaymentLine], seq: int) -> iso20022.FileInfo:
    with path.open("wb") as out:
        return iso20022.write_pain001(out, chunk, msg=iso20022.msg_id("2026-12", "XALQ", seq),
                                      created_at="2026-12-01T00:00:00", execution_date="2026-12-05", debtor=DEBTOR,
                                      reveal=lambda line: line.account_number)  # the lines hold it in clear here


def test_split_files_validate_against_the_xsd_and_every_id_is_unique(tmp_path: Path) -> None:
    # Given 25 payments (names with quotes, ampersands and angle brackets) and files of at most 10
    chunks = list(iso20022.split(lines(25), 10))
    assert [len(c) for c in chunks] == [10, 10, 5]
    msg_ids, pmt_ids, e2e = set(), set(), []
    for seq, chunk in enumerate(chunks, 1):
        path = tmp_path / f"f{seq}.xml"
        # When each file is written as a stream
        info = write(path, chunk, seq)
        # Then it validates, carries its count and control sum, and reads back the same transfers
        iso20022.validate_pain001(path)
        msg, transfers = iso20022.read_pain001(path.read_bytes())
        assert (info.count, info.control_sum) == (len(chunk), sum(x.amount for x in chunk))
        assert [t.amount for t in transfers] == [x.amount for x in chunk]
        msg_ids.add(msg)
        pmt_ids.add(info.pmt_inf_id)
        e2e += [t.end_to_end_id for t in transfers]
    assert len(msg_ids) == len(pmt_ids) == 3 and len(e2e) == len(set(e2e)) == 25


def test_a_file_the_schema_refuses_is_reported_without_its_content(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    write(path, lines(2), 1)
    path.write_bytes(path.read_bytes().replace(b"<PmtMtd>TRF</PmtMtd>", b"<PmtMtd>CASH</PmtMtd>"))
    with pytest.raises(iso20022.InvalidPaymentFile) as err:
        iso20022.validate_pain001(path)
    assert "Qizlarxon" not in str(err.value) and "line" in str(err.value)


def test_status_report_and_notification_round_trip() -> None:
    report = iso20022.StatusReport("XALQ-PAIN002-1", "SPSR-2026-12-XALQ-0001", "PART", {"PI1": "AC04"}, ("PI2",))
    back = iso20022.read_pain002(iso20022.write_pain002(report, "2026-12-05T10:00:00"))
    assert back == report
    note = iso20022.Notification("XALQ-CAMT054-1", (iso20022.Entry("PI2", 250_000, "paid"),
                                                    iso20022.Entry("PI3", 380_000, "returned", "MS03")))
    assert iso20022.read_camt054(iso20022.write_camt054(note, "2026-12-06T10:00:00", "2340")) == note


def test_fractional_or_malformed_amounts_are_refused() -> None:
    note = iso20022.write_camt054(iso20022.Notification("M1", (iso20022.Entry("PI1", 5, "paid"),)), "2026-12-06", "1")
    with pytest.raises(iso20022.MalformedMessage):
        iso20022.read_camt054(note.replace(b">5</Amt>", b">5.50</Amt>"))
    with pytest.raises(iso20022.MalformedMessage):
        iso20022.read_camt054(b"<not-xml")
