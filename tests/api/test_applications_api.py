"""The applications API through chalice.test.Client on moto: the paths a mahalla worker takes."""

from __future__ import annotations

import json

import pytest
from chalice.test import Client

from app import app
from chalicelib.api import examples
from tests.builders import application_payload

pytestmark = pytest.mark.usefixtures("aws")
WORKER_SCOPE = examples.EXAMPLE_MAHALLA


def post(client: Client, path: str, body: object, headers: dict[str, str]):
    return client.http.post(path, body=json.dumps(body), headers=headers)


def test_the_example_application_gets_201_then_409(token) -> None:
    with Client(app) as client:
        headers = token("mahalla_worker", WORKER_SCOPE)
        # When the documented example is posted by a worker of that mahalla
        first = post(client, "/applications", examples.APPLICATION, headers)
        # Then it is accepted with an id, submitted for the current cycle
        assert first.status_code == 201, first.body
        created = first.json_body
        assert created["application_id"].startswith("app-") and created["status"] == "submitted"
        assert created["history"][0]["status"] == "submitted"
        # When the same application is posted again, Then it is refused and names the conflict
        second = post(client, "/applications", examples.APPLICATION, headers)
        assert second.status_code == 409
        assert second.json_body["error"]["code"] == "application_exists"
        # And it is readable by id
        got = client.http.get(f"/applications/{created['application_id']}", headers=headers)
        assert got.status_code == 200 and got.json_body["household_id"] == created["household_id"]


@pytest.mark.parametrize(
    ("mutate", "field", "code"),
    [
        (lambda p: p.update(applicant_pinfl="3140388726901X"), "applicant_pinfl", "invalid_pinfl"),
        (lambda p: p["members"][0].update(pinfl="31403887269011"), "members[0].pinfl", "invalid_pinfl"),
        (lambda p: p["members"][0].update(phone="+7 912 345 67 89"), "members[0].phone", "invalid_phone"),
        (lambda p: p["members"][1]["document"].update(number="12345"), "members[1].document",
         "invalid_document_number"),
        (lambda p: p.update(programmes=["pension"]), "programmes[0]", "invalid_choice"),
        (lambda p: p.update(colour="blue"), "colour", "unknown_field"),
        (lambda p: p.pop("channel"), "channel", "missing_field"),
        (lambda p: p["address"].update(mahalla_code="12"), "address.mahalla_code", "invalid_format"),
        (lambda p: p["bank_account"].update(number="8600123456789013"), "bank_account", "invalid_card_number"),
        (lambda p: p["members"][2].update(birth_date="2015-02-30"), "members[2].birth_date", "invalid_date"),
    ],
)
def test_bad_input_gets_400_naming_the_field(token, mutate, field, code) -> None:
    payload = application_payload()
    mutate(payload)
    with Client(app) as client:
        response = post(client, "/applications", payload, token("mahalla_worker", WORKER_SCOPE))
    assert response.status_code == 400, response.body
    error = response.json_body["error"]
    assert (error["field"], error["code"]) == (field, code)
    # And the message never echoes personal data back
    assert "31403887269011" not in error["message"] and "+7" not in error["message"]


def test_broken_json_and_non_objects_get_400(token) -> None:
    with Client(app) as client:
        headers = token("mahalla_worker", WORKER_SCOPE)
        broken = client.http.post("/applications", body="{not json", headers=headers)
        listed = client.http.post("/applications", body="[1, 2]", headers=headers)
    assert broken.status_code == 400 and broken.json_body["error"]["code"] == "invalid_json"
    assert listed.status_code == 400 and listed.json_body["error"]["code"] == "invalid_json"


def test_requests_without_a_valid_token_get_401(token) -> None:
    with Client(app) as client:
        missing = client.http.get("/applications")
        forged = client.http.get("/applications", headers={"Authorization": "Bearer abc.def.ghi"})
    assert missing.status_code == 401 and missing.json_body["error"]["code"] == "missing_token"
    assert forged.status_code == 401 and forged.json_body["error"]["code"] == "invalid_token"


def test_another_district_sees_neither_the_application_nor_the_household(token) -> None:
    with Client(app) as client:
        created = post(client, "/applications", examples.APPLICATION, token("mahalla_worker", WORKER_SCOPE)).json_body
        # Given a pension fund officer of another district of Tashkent city
        other = token("pension_fund_officer", "1726264")
        # When they read the application or its household, Then they are told it does not exist
        app_response = client.http.get(f"/applications/{created['application_id']}", headers=other)
        hh_response = client.http.get(f"/households/{created['household_id']}", headers=other)
        # And listing that mahalla is forbidden
        listing = client.http.get(f"/applications?mahalla={WORKER_SCOPE}", headers=other)
        # While the officer of the right district sees it
        own = client.http.get(f"/applications/{created['application_id']}", headers=token("pension_fund_officer",
                                                                                          "1726262"))
    assert app_response.status_code == 404 and hh_response.status_code == 404
    assert listing.status_code == 403
    assert own.status_code == 200


def test_a_worker_cannot_file_for_another_mahalla(token) -> None:
    with Client(app) as client:
        response = post(client, "/applications", examples.APPLICATION, token("mahalla_worker", "1726262017"))
    assert response.status_code == 403 and response.json_body["error"]["code"] == "out_of_scope"


def test_a_citizen_sees_only_their_own_household(token) -> None:
    with Client(app) as client:
        created = post(client, "/applications", examples.APPLICATION, token("mahalla_worker", WORKER_SCOPE)).json_body
        other_payload = application_payload()
        other_payload["members"] = [dict(examples.MEMBER_ADD["member"], relationship="head")]
        other_payload["applicant_pinfl"] = examples.MEMBER_ADD["member"]["pinfl"]
        other = post(client, "/applications", other_payload, token("mahalla_worker", WORKER_SCOPE)).json_body
        citizen = token("citizen", created["household_id"])
        own = client.http.get(f"/households/{created['household_id']}", headers=citizen)
        foreign = client.http.get(f"/households/{other['household_id']}", headers=citizen)
        foreign_app = client.http.get(f"/applications/{other['application_id']}", headers=citizen)
        listed = client.http.get("/applications", headers=citizen)
        widened = client.http.get("/applications?region=1726", headers=citizen)
    assert own.status_code == 200
    assert foreign.status_code == 404 and foreign_app.status_code == 404
    assert [a["application_id"] for a in listed.json_body["items"]] == [created["application_id"]]
    assert widened.status_code == 403


def test_listing_pages_with_an_opaque_cursor_and_filters(token) -> None:
    worker = token("mahalla_worker", WORKER_SCOPE)
    with Client(app) as client:
        ids = set()
        base = examples.APPLICATION
        for i in range(5):
            # Given five single-person households in the mahalla
            member = dict(base["members"][0], pinfl=_pinfl(i), relationship="head")
            payload = application_payload(members=[member], applicant_pinfl=member["pinfl"])
            ids.add(post(client, "/applications", payload, worker).json_body["application_id"])
        seen: list[str] = []
        cursor = None
        while True:
            # When the worker lists two at a time
            query = "/applications?limit=2" + (f"&cursor={cursor}" if cursor else "")
            page = client.http.get(query, headers=worker).json_body
            seen += [a["application_id"] for a in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        # Then every application comes exactly once
        assert sorted(seen) == sorted(ids)
        # And status filters apply, and a tampered cursor is refused with 400
        none_assigned = client.http.get("/applications?status=assigned", headers=worker).json_body
        tampered = client.http.get("/applications?cursor=eyJrIjp7fSwiZiI6IngifQ", headers=worker)
        bad_status = client.http.get("/applications?status=paid", headers=worker)
    assert none_assigned["items"] == []
    assert tampered.status_code == 400 and tampered.json_body["error"]["field"] == "cursor"
    assert bad_status.status_code == 400 and bad_status.json_body["error"]["field"] == "status"


def test_analysts_get_aggregates_but_no_personal_data(token) -> None:
    with Client(app) as client:
        created = post(client, "/applications", examples.APPLICATION, token("mahalla_worker", WORKER_SCOPE)).json_body
        analyst = token("ministry_analyst")
        stats = client.http.get(f"/statistics/applications?cycle_month={created['cycle_month']}", headers=analyst)
        personal = client.http.get(f"/applications/{created['application_id']}", headers=analyst)
        listing = client.http.get("/applications", headers=analyst)
    assert stats.status_code == 200
    assert stats.json_body["total"] == 1
    assert stats.json_body["rows"] == [{"region_code": "1726", "status": "submitted", "programme": "child_allowance",
                                        "applications": 1}]
    assert personal.status_code == 403 and listing.status_code == 403


def test_document_upload_ticket_is_limited_by_type_and_size(token) -> None:
    worker = token("mahalla_worker", WORKER_SCOPE)
    with Client(app) as client:
        created = post(client, "/applications", examples.APPLICATION, worker).json_body
        path = f"/applications/{created['application_id']}/documents"
        ok = post(client, path, examples.DOCUMENT_UPLOAD, worker)
        too_big = post(client, path, dict(examples.DOCUMENT_UPLOAD, size_bytes=50_000_000), worker)
        wrong_type = post(client, path, dict(examples.DOCUMENT_UPLOAD, content_type="application/x-msdownload"),
                          worker)
        after = client.http.get(f"/applications/{created['application_id']}", headers=worker).json_body
    assert ok.status_code == 201
    fields = ok.json_body["upload"]["fields"]
    assert fields["x-amz-server-side-encryption"] == "aws:kms" and "policy" in fields
    assert too_big.status_code == 400 and too_big.json_body["error"]["code"] == "document_too_large"
    assert wrong_type.status_code == 400 and wrong_type.json_body["error"]["field"] == "content_type"
    assert [d["document_id"] for d in after["documents"]] == [ok.json_body["document_id"]]


def _pinfl(i: int) -> str:
    from chalicelib.domain.identifiers import pinfl_check_digit

    first13 = f"3010180726{900 + i:03d}"
    return first13 + pinfl_check_digit(first13)
