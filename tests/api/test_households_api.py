"""Households and members through the API: optimistic locking and the change log."""

from __future__ import annotations

import json

import pytest
from chalice.test import Client

from app import app
from chalicelib.api import examples

pytestmark = pytest.mark.usefixtures("aws")


def _registered(client: Client, headers: dict[str, str]) -> dict:
    created = client.http.post("/applications", body=json.dumps(examples.APPLICATION), headers=headers).json_body
    return client.http.get(f"/households/{created['household_id']}", headers=headers).json_body


def test_household_reads_mask_the_card_number(token) -> None:
    worker = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    with Client(app) as client:
        household = _registered(client, worker)
    assert household["bank_account"]["number"] == "************9012"
    assert household["version"] == 1 and len(household["members"]) == 4


def test_an_update_with_the_current_version_is_kept_with_a_change_record(token) -> None:
    worker = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    with Client(app) as client:
        household = _registered(client, worker)
        path = f"/households/{household['household_id']}"
        # When the address is changed at the version read
        updated = client.http.patch(path, body=json.dumps(examples.HOUSEHOLD_PATCH), headers=worker)
        # And a second writer sends the same version again (stale now)
        stale = client.http.patch(path, body=json.dumps(dict(examples.HOUSEHOLD_PATCH, address=dict(
            examples.HOUSEHOLD_PATCH["address"], address_line="Nihol ko'chasi 1"))), headers=worker)
        after = client.http.get(path, headers=worker).json_body
        changes = client.http.get(path + "/changes", headers=worker).json_body["items"]
    # Then the first is applied, the second refused with nothing overwritten
    assert updated.status_code == 200 and updated.json_body["version"] == 2
    assert stale.status_code == 409 and stale.json_body["error"]["code"] == "stale_version"
    assert after["address"]["address_line"] == examples.HOUSEHOLD_PATCH["address"]["address_line"]
    # And the change log says who changed what, with old and new values
    assert [c["action"] for c in changes] == ["household_registered", "household_updated"]
    last = changes[-1]
    assert last["actor_id"] == "dev-mahalla_worker-" + examples.EXAMPLE_MAHALLA
    assert last["old"]["address"]["address_line"] == examples.APPLICATION["address"]["address_line"]
    assert last["reason"] == "moved within the mahalla"


def test_member_update_and_addition(token) -> None:
    worker = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    with Client(app) as client:
        household = _registered(client, worker)
        hid = household["household_id"]
        spouse = household["members"][1]["person_id"]
        patched = client.http.patch(f"/households/{hid}/members/{spouse}", body=json.dumps(examples.MEMBER_PATCH),
                                    headers=worker)
        added = client.http.post(f"/households/{hid}/members",
                                 body=json.dumps(dict(examples.MEMBER_ADD, version=2)), headers=worker)
        again = client.http.post(f"/households/{hid}/members",
                                 body=json.dumps(dict(examples.MEMBER_ADD, version=3)), headers=worker)
        unknown = client.http.patch(f"/households/{hid}/members/p-nobody",
                                    body=json.dumps(dict(examples.MEMBER_PATCH, version=3)), headers=worker)
        bad_phone = client.http.patch(f"/households/{hid}/members/{spouse}",
                                      body=json.dumps({"version": 3, "phone": "12"}), headers=worker)
    assert patched.status_code == 200
    assert next(m for m in patched.json_body["members"] if m["person_id"] == spouse)["phone"] == "+998977770022"
    assert added.status_code == 201 and len(added.json_body["household"]["members"]) == 5
    # The same person cannot be added twice: the PINFL is claimed
    assert again.status_code == 409 and again.json_body["error"]["code"] == "member_in_other_household"
    assert unknown.status_code == 404
    assert bad_phone.status_code == 400 and bad_phone.json_body["error"]["field"] == "phone"


def test_a_region_admin_reads_but_cannot_write(token) -> None:
    worker = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    with Client(app) as client:
        household = _registered(client, worker)
        admin = token("region_admin", "1726")
        read = client.http.get(f"/households/{household['household_id']}", headers=admin)
        write = client.http.patch(f"/households/{household['household_id']}",
                                  body=json.dumps(examples.HOUSEHOLD_PATCH), headers=admin)
    assert read.status_code == 200
    assert write.status_code == 403 and write.json_body["error"]["code"] == "role_not_allowed"
