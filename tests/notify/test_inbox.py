"""The in-app inbox: unread count and read marks; reporting subscribe authorisations."""
from core import tx
from services import notify


def deliver_two(person, run_jobs):
    ids = [notify.queue_message(person.id, "reminder", f"提醒{n}", "请处理。").id for n in (1, 2)]
    tx.commit()
    run_jobs()
    return ids


def test_unread_count_and_marking_messages_read(client, county, run_jobs):
    first, second = deliver_two(county["person"], run_jobs)
    headers = county["headers"]
    assert client.get("/api/v1/me/messages/unread-count", headers=headers).json == {"unread": 2}

    marked = client.post("/api/v1/me/messages/read", json={"ids": [first]}, headers=headers)
    assert marked.status_code == 200, marked.json
    assert marked.json == {"marked": 1, "unread": 1}
    inbox = {m["id"]: m["read_at"] for m in client.get("/api/v1/me/messages", headers=headers).json["items"]}
    assert inbox[first] is not None and inbox[second] is None

    assert client.post("/api/v1/me/messages/read", json={"all": True}, headers=headers).json == {"marked": 1,
                                                                                                  "unread": 0}


def test_someone_elses_messages_are_not_marked(client, county, make_person, auth_headers, run_jobs):
    other = make_person(county["person"].unit, "regulator_staff")
    (theirs, _) = deliver_two(other, run_jobs)
    response = client.post("/api/v1/me/messages/read", json={"ids": [theirs]}, headers=county["headers"])
    assert response.json == {"marked": 0, "unread": 0}
    assert client.get("/api/v1/me/messages/unread-count", headers=auth_headers(other)).json == {"unread": 2}


def test_mark_read_needs_ids_or_all_and_a_login(client, county):
    response = client.post("/api/v1/me/messages/read", json={}, headers=county["headers"])
    assert (response.status_code, response.json["code"]) == (422, "validation_error")
    assert "ids" in response.json["details"]["fields"]
    assert client.get("/api/v1/me/messages/unread-count").status_code == 401


def test_the_mini_program_reports_accepted_templates(client, templates, county):
    listed = client.get("/api/v1/me/subscriptions", headers=county["headers"]).json["items"]
    assert {i["template_id"]: i["templates"] for i in listed} == {
        "tmpl-reminder": ["weekly_report_due"], "tmpl-unit-review": ["unit_registration_submitted"]}

    unknown = client.post("/api/v1/me/subscriptions", json={"template_ids": ["tmpl-someone-else"]},
                          headers=county["headers"])
    assert (unknown.status_code, unknown.json["code"]) == (422, "template_unknown")
    assert "template_ids" in unknown.json["details"]["fields"]

    empty = client.post("/api/v1/me/subscriptions", json={"template_ids": []}, headers=county["headers"])
    assert empty.status_code == 422
