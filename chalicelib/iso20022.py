"""ISO 20022 messages the payroll exchanges with banks: pain.001 out, pain.002 and camt.054 in.

pain.001.001.09 (customer credit transfer initiation) is written as a stream: the group header,
then one ``CdtTrfTxInf`` at a time from pre-escaped templates, so a file of any size costs the
memory of one transaction (a tree of two million elements would not fit a Lambda). Every file is
validated against the packaged XSD (``chalicelib/schemas/pain.001.001.09.xsd``, Apache-2.0) once
written; a file that does not validate is never sent. Files are split at a configurable number of
transactions. Amounts are whole som (UZS has no minor unit in practice), written without decimals.

pain.002 (payment status report) and camt.054 (debit/credit notification) are read with lxml by
local name, so a bank's namespace version does not matter; the writers here are what the local bank
stub (``devstack/bank``) answers with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from lxml import etree

from chalicelib.domain.payroll import PaymentLine

PAIN001_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
PAIN002_NS = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"
CAMT054_NS = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"
SCHEMA = Path(__file__).resolve().parent / "schemas" / "pain.001.001.09.xsd"
PROGRAMME_PURPOSE = "SSBE"  # ISO external purpose code: social security benefit


class InvalidPaymentFile(Exception):
    """A written pain.001 does not validate against the XSD (never sent)."""


@dataclass(frozen=True)
class Debtor:
    """The paying account: the ministry's treasury account at the paying bank."""

    name: str
    account: str
    agent_id: str  # the debtor bank's identifier (MFO code in Uzbekistan)


@dataclass(frozen=True)
class FileInfo:
    msg_id: str
    pmt_inf_id: str
    bank_code: str
    count: int
    control_sum: int
    sha256: str = ""
    key: str = ""
    size: int = 0


def msg_id(month: str, bank_code: str, seq: int, district: str = "") -> str:
    """Unique per (month, bank, district, file): re-running a month rebuilds the same ids, so a bank sees a
    duplicate. With a district (7 digits) the id is 29 characters; ISO allows 35."""
    if district:
        return f"SPSR-{month}-{bank_code[:6]}-{district}-{seq:03d}"[:35]
    return f"SPSR-{month}-{bank_code}-{seq:04d}"[:35]


def _t(value: str) -> str:
    if "&" in value or "<" in value or ">" in value or '"' in value:
        return escape(value, {'"': "&quot;"})
    return value


_TX = (
    "<CdtTrfTxInf><PmtId><InstrId>{iid}</InstrId><EndToEndId>{iid}</EndToEndId></PmtId>"
    "<Amt><InstdAmt Ccy=\"UZS\">{amount}</InstdAmt></Amt>"
    "<CdtrAgt><FinInstnId><Othr><Id>{bank}</Id></Othr></FinInstnId></CdtrAgt>"
    "<Cdtr><Nm>{name}</Nm></Cdtr>"
    "<CdtrAcct><Id><Othr><Id>{account}</Id><SchmeNm><Prtry>{kind}</Prtry></SchmeNm></Othr></Id></CdtrAcct>"
    "<Purp><Cd>" + PROGRAMME_PURPOSE + "</Cd></Purp>"
    "<RmtInf><Ustrd>{programme} {month} {district}</Ustrd></RmtInf></CdtTrfTxInf>"
)


def transaction_xml(line: PaymentLine, account: str) -> str:
    # _TX spelled as an f-string: a few times faster than str.format with keywords, millions of times a month
    iid = line.instruction_id
    return (f"<CdtTrfTxInf><PmtId><InstrId>{iid}</InstrId><EndToEndId>{iid}</EndToEndId></PmtId>"
            f"<Amt><InstdAmt Ccy=\"UZS\">{line.amount}</InstdAmt></Amt>"
            f"<CdtrAgt><FinInstnId><Othr><Id>{_t(line.bank_code)}</Id></Othr></FinInstnId></CdtrAgt>"
            f"<Cdtr><Nm>{_t(line.payee_name[:140])}</Nm></Cdtr>"
            f"<CdtrAcct><Id><Othr><Id>{_t(account)}</Id><SchmeNm><Prtry>{line.account_kind.upper()}"
            f"</Prtry></SchmeNm></Othr></Id></CdtrAcct><Purp><Cd>{PROGRAMME_PURPOSE}</Cd></Purp>"
            f"<RmtInf><Ustrd>{line.programme} {line.month} {line.district_code}</Ustrd></RmtInf></CdtTrfTxInf>")


def write_pain001(out: IO[bytes], lines: list[PaymentLine], *, msg: str, created_at: str, execution_date: str,
                  debtor: Debtor, reveal: Callable[[PaymentLine], str]) -> FileInfo:
    """Streams one pain.001.001.09 file with one payment information block holding ``lines``.

    Lines carry the creditor account sealed; ``reveal`` opens it for the file alone: this is the one
    place a bank account or card number is in clear."""
    if not lines:
        raise ValueError("a payment file needs at least one transaction")
    count, total = len(lines), sum(line.amount for line in lines)
    pmt_inf = f"{msg}-P1"[:35]
    head = (
        f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"{PAIN001_NS}\"><CstmrCdtTrfInitn>"
        f"<GrpHdr><MsgId>{_t(msg)}</MsgId><CreDtTm>{created_at}</CreDtTm><NbOfTxs>{count}</NbOfTxs>"
        f"<CtrlSum>{total}</CtrlSum><InitgPty><Nm>{_t(debtor.name)}</Nm></InitgPty></GrpHdr>"
        f"<PmtInf><PmtInfId>{_t(pmt_inf)}</PmtInfId><PmtMtd>TRF</PmtMtd><BtchBookg>true</BtchBookg>"
        f"<NbOfTxs>{count}</NbOfTxs><CtrlSum>{total}</CtrlSum><ReqdExctnDt><Dt>{execution_date}</Dt></ReqdExctnDt>"
        f"<Dbtr><Nm>{_t(debtor.name)}</Nm></Dbtr><DbtrAcct><Id><Othr><Id>{_t(debtor.account)}</Id></Othr></Id>"
        f"</DbtrAcct><DbtrAgt><FinInstnId><Othr><Id>{_t(debtor.agent_id)}</Id></Othr></FinInstnId></DbtrAgt>"
    )
    digest = hashlib.sha256()
    size = 0

    def emit(text: str) -> None:
        nonlocal size
        data = text.encode("utf-8")
        digest.update(data)
        size += len(data)
        out.write(data)

    emit(head)
    chunk: list[str] = []
    for line in lines:
        chunk.append(transaction_xml(line, reveal(line)))
        if len(chunk) >= 512:  # write in slices: bounded memory, few write calls
            emit("".join(chunk))
            chunk.clear()
    emit("".join(chunk) + "</PmtInf></CstmrCdtTrfInitn></Document>\n")
    return FileInfo(msg_id=msg, pmt_inf_id=pmt_inf, bank_code=lines[0].bank_code, count=count, control_sum=total,
                    sha256=digest.hexdigest(), size=size)


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def validate_pain001(source: str | Path | IO[bytes]) -> None:
    """Raises InvalidPaymentFile (with the first error's line, never its content) unless ``source`` validates."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        doc = etree.parse(source if not isinstance(source, Path) else str(source), parser)
    except etree.XMLSyntaxError as err:
        raise InvalidPaymentFile(f"not well-formed XML at line {err.lineno}") from None
    schema = _schema()
    if not schema.validate(doc):
        first = schema.error_log[0]
        raise InvalidPaymentFile(f"pain.001 does not validate (line {first.line}: {first.type_name})")


def split(lines: Iterable[PaymentLine], max_tx: int) -> Iterator[list[PaymentLine]]:
    """Consecutive slices of at most ``max_tx`` lines."""
    chunk: list[PaymentLine] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= max_tx:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ---------------------------------------------------------------- reading pain.001 (the bank's side)

@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str
    amount: int
    account: str
    account_kind: str


def read_pain001(data: bytes) -> tuple[str, list[Transfer]]:
    """(MsgId, transfers) of a pain.001 file."""
    root = _parse(data)
    msg = _text(root, ".//{*}GrpHdr/{*}MsgId")
    out = []
    for tx in root.iterfind(".//{*}CdtTrfTxInf"):
        out.append(Transfer(end_to_end_id=_text(tx, "{*}PmtId/{*}EndToEndId"),
                            amount=_whole(_text(tx, "{*}Amt/{*}InstdAmt")),
                            account=_text(tx, "{*}CdtrAcct/{*}Id/{*}Othr/{*}Id"),
                            account_kind=_text(tx, "{*}CdtrAcct/{*}Id/{*}Othr/{*}SchmeNm/{*}Prtry").lower()))
    return msg, out


# ---------------------------------------------------------------- pain.002

@dataclass(frozen=True)
class StatusReport:
    msg_id: str
    original_msg_id: str
    group_status: str  # ACCP, PART or RJCT
    rejected: dict[str, str]  # EndToEndId -> reason code
    accepted: tuple[str, ...]
    group_reason: str | None = None  # the reason of a file rejected as a whole


def write_pain002(report: StatusReport, created_at: str) -> bytes:
    txs = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{_t(e2e)}</OrgnlEndToEndId><TxSts>RJCT</TxSts>"
        f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf></TxInfAndSts>"
        for e2e, code in sorted(report.rejected.items()))
    txs += "".join(f"<TxInfAndSts><OrgnlEndToEndId>{_t(e2e)}</OrgnlEndToEndId><TxSts>ACCP</TxSts></TxInfAndSts>"
                   for e2e in report.accepted)
    group_reason = (f"<StsRsnInf><Rsn><Cd>{_t(report.group_reason)}</Cd></Rsn></StsRsnInf>"
                    if report.group_reason else "")
    return (
        f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"{PAIN002_NS}\"><CstmrPmtStsRpt>"
        f"<GrpHdr><MsgId>{_t(report.msg_id)}</MsgId><CreDtTm>{created_at}</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{_t(report.original_msg_id)}</OrgnlMsgId>"
        f"<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>{report.group_status}</GrpSts>{group_reason}"
        f"</OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>{_t(report.original_msg_id)}-P1</OrgnlPmtInfId>{txs}"
        f"</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>\n"
    ).encode()


def read_pain002(data: bytes) -> StatusReport:
    root = _parse(data)
    rejected: dict[str, str] = {}
    accepted: list[str] = []
    for tx in root.iterfind(".//{*}TxInfAndSts"):
        e2e = _text(tx, "{*}OrgnlEndToEndId")
        status = _text(tx, "{*}TxSts")
        if status == "RJCT":
            rejected[e2e] = tx.findtext("{*}StsRsnInf/{*}Rsn/{*}Cd") or "NARR"
        elif status in ("ACCP", "ACSC", "ACSP", "ACTC"):
            accepted.append(e2e)
    return StatusReport(msg_id=_text(root, ".//{*}GrpHdr/{*}MsgId"),
                        original_msg_id=_text(root, ".//{*}OrgnlGrpInfAndSts/{*}OrgnlMsgId"),
                        group_status=_text(root, ".//{*}OrgnlGrpInfAndSts/{*}GrpSts"),
                        rejected=rejected, accepted=tuple(accepted),
                        group_reason=root.findtext(".//{*}OrgnlGrpInfAndSts/{*}StsRsnInf/{*}Rsn/{*}Cd"))


# ---------------------------------------------------------------- camt.054

@dataclass(frozen=True)
class Entry:
    end_to_end_id: str
    amount: int
    kind: str  # "paid": the transfer was booked to the beneficiary; "returned": funds came back
    reason: str | None = None


@dataclass(frozen=True)
class Notification:
    msg_id: str
    entries: tuple[Entry, ...]


def write_camt054(note: Notification, created_at: str, account: str) -> bytes:
    parts = []
    for i, e in enumerate(note.entries, 1):
        # From the paying account's side: a booked debit is a credit to the beneficiary;
        # unclaimed funds come back as a credit carrying return information.
        ind = "DBIT" if e.kind == "paid" else "CRDT"
        rtr = (f"<RtrInf><Rsn><Cd>{_t(e.reason or 'NARR')}</Cd></Rsn><AddtlInf>unclaimed</AddtlInf></RtrInf>"
               if e.kind == "returned" else "")
        parts.append(
            f"<Ntry><NtryRef>{i}</NtryRef><Amt Ccy=\"UZS\">{e.amount}</Amt><CdtDbtInd>{ind}</CdtDbtInd>"
            f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{created_at[:10]}</Dt></BookgDt>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>{_t(e.end_to_end_id)}</EndToEndId></Refs>{rtr}</TxDtls>"
            f"</NtryDtls></Ntry>")
    return (
        f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"{CAMT054_NS}\"><BkToCstmrDbtCdtNtfctn>"
        f"<GrpHdr><MsgId>{_t(note.msg_id)}</MsgId><CreDtTm>{created_at}</CreDtTm></GrpHdr>"
        f"<Ntfctn><Id>{_t(note.msg_id)}</Id><CreDtTm>{created_at}</CreDtTm>"
        f"<Acct><Id><Othr><Id>{_t(account)}</Id></Othr></Id></Acct>{''.join(parts)}</Ntfctn>"
        f"</BkToCstmrDbtCdtNtfctn></Document>\n"
    ).encode()


def read_camt054(data: bytes) -> Notification:
    root = _parse(data)
    entries = []
    for ntry in root.iterfind(".//{*}Ntry"):
        ind = _text(ntry, "{*}CdtDbtInd")
        rtr = ntry.find(".//{*}RtrInf")
        kind = "returned" if rtr is not None or ind == "CRDT" else "paid"
        entries.append(Entry(end_to_end_id=_text(ntry, ".//{*}Refs/{*}EndToEndId"),
                             amount=_whole(_text(ntry, "{*}Amt")), kind=kind,
                             reason=rtr.findtext("{*}Rsn/{*}Cd") if rtr is not None else None))
    return Notification(msg_id=_text(root, ".//{*}GrpHdr/{*}MsgId"), entries=tuple(entries))


# ---------------------------------------------------------------- helpers

class MalformedMessage(Exception):
    """A bank message that is not the ISO 20022 message expected."""


def _parse(data: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        raise MalformedMessage("not well-formed XML") from None


def _text(node: Any, path: str) -> str:
    value = node.findtext(path)
    if value is None:
        raise MalformedMessage(f"missing element {path.replace('{*}', '')}")
    return str(value).strip()


def _whole(value: str) -> int:
    """An ISO amount as whole som; a fractional amount is refused rather than rounded."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise MalformedMessage("an amount is not a number") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise MalformedMessage("an amount has a fractional part")
    return int(number)
