"""SMS templates: every language, every event, segment counts, decision texts within two segments."""

from __future__ import annotations

import pytest

from chalicelib.domain.change_requests import KINDS, REJECTION_REASONS
from chalicelib.domain.notifications import (
    CHANGE_KINDS,
    CHANGE_REJECTIONS,
    EVENTS,
    LANGUAGES,
    MAX_DECISION_SEGMENTS,
    PROGRAMMES,
    REASONS,
    TEMPLATES,
    measure,
    render,
)

PARAMS = {
    "ref": "AB12CD34EF", "due": "2026-11-25", "first": "2027-01", "month": "2026-12", "amount": 725_000,
    "programme": "child_allowance", "sources": ["tax", "cadastre", "traffic_police"],
    "items": [("child_allowance", 725_000, 0), ("disabled_child_caregiver", 1_000_000, 0),
              ("maternity_non_state", 0, 3_988_000)],
    "reasons": list(REASONS["ru"]),
    "kind": "payout_account", "reason": "documents_missing",
}


def test_segments_follow_gsm7_and_ucs2_limits() -> None:
    assert measure("a" * 160) .segments == 1 and measure("a" * 161).segments == 2
    assert measure("a" * 306).segments == 2 and measure("a" * 307).segments == 3
    assert measure("[" * 80).segments == 1 and measure("[" * 81).segments == 2  # extension chars count twice
    assert measure("ж" * 70).segments == 1 and measure("ж" * 71).segments == 2
    assert measure("ж" * 134).segments == 2 and measure("ж" * 135).segments == 3
    assert measure("Ariza o'tkazildi").encoding == "GSM-7" and measure("Ариза").encoding == "UCS-2"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_event_renders_in_every_language_without_placeholders(language: str) -> None:
    for event in EVENTS:
        sms = render(event, language, PARAMS)
        assert "{" not in sms.text and sms.text.strip()
        assert TEMPLATES[language][event]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_decision_fits_in_two_segments_even_in_the_worst_case(language: str) -> None:
    # Given every reason at once, or three programmes with amounts
    rejected = render("rejected", language, PARAMS)
    assigned = render("assigned", language, PARAMS)
    # Then both still fit in two segments, naming at least the first reason and every programme
    assert rejected.segments <= MAX_DECISION_SEGMENTS and assigned.segments <= MAX_DECISION_SEGMENTS
    assert REASONS[language]["income_above_threshold"] in rejected.text
    assert all(PROGRAMMES[language][p] in assigned.text for p, _, _ in PARAMS["items"])


def test_one_programme_shows_its_amount() -> None:
    sms = render("assigned", "ru", dict(PARAMS, items=[("child_allowance", 475_000, 0)]))
    assert "475000 сум/мес" in sms.text and sms.segments == 1


def test_latin_uzbek_stays_in_gsm7() -> None:
    for event in EVENTS:
        assert render(event, "uz-Latn", dict(PARAMS, reasons=["asset_vehicle"])).encoding == "GSM-7"


def test_an_unknown_language_falls_back_to_latin_uzbek() -> None:
    assert render("received", "en", PARAMS).text == render("received", "uz-Latn", PARAMS).text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_change_request_outcome_names_kind_and_reason_within_two_segments(language: str) -> None:
    # Given every kind of change and every rejection reason, Then each outcome SMS fits in two segments
    assert set(CHANGE_KINDS[language]) == set(KINDS) and set(CHANGE_REJECTIONS[language]) == set(REJECTION_REASONS)
    for kind in KINDS:
        approved = render("change_approved", language, dict(PARAMS, kind=kind))
        assert CHANGE_KINDS[language][kind] in approved.text and approved.segments <= MAX_DECISION_SEGMENTS
        for reason in REJECTION_REASONS:
            rejected = render("change_rejected", language, dict(PARAMS, kind=kind, reason=reason))
            assert CHANGE_REJECTIONS[language][reason] in rejected.text
            assert rejected.segments <= MAX_DECISION_SEGMENTS and PARAMS["ref"] in rejected.text
