"""Risk report intake (guidance 二(三)): who may report, emergencies diverted, idempotent retries,
photos without location, the first holder, who sees what, the unit's own director."""
from __future__ import annotations

import io
from datetime import date

from PIL import Image
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.extensions import db
from core.storage import StoredFile, get_storage
from core.timeutil import business_today
from core.workdays import add_workdays
from models.notify import OutboxMessage
from models.risk import RiskReport, RiskReportEvent
from services.risk import media
from tests.images import stored_unchecked, truncated_jpeg
from tests.risk.conftest import fresh, jpeg_with_gps, new_key, report_body, submit, upload

GPS_IFD = 0x8825


def _messages(person_id: int, template: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient_person_id == person_id, OutboxMessage.template == template,
        OutboxMessage.channel == "inbox")))


def _count_reports() -> int:
    return db.session.scalar(select(func.count()).select_from(RiskReport))


# -- who may report ----------------------------------------------------------------------

def test_reporter_submits_a_report_that_reaches_the_county(client, risk, app):
    response = submit(client, risk.use.reporter_headers)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "handling" and body["level"] == "county"
    assert body["holder_region_code"] == "610113"
    assert body["holder_office_name"] == "雁塔区市场监督管理局"
    expected = add_workdays(business_today(), app.config["RISK_DEADLINE_WORKDAYS"]["county"])
    assert body["deadline"] == expected.isoformat()
    assert body["region_code"] == "610113"  # defaults to the point's region
    assert body["suggested_level"] == "general"
    assert [e["action"] for e in body["events"]] == ["submitted"]
    first = body["events"][0]
    assert first["from_level"] is None and first["to_level"] == "county"
    assert first["holder_office_name"] == "雁塔区市场监督管理局" and first["deadline"] == expected.isoformat()
    assert body["reporter"]["name"] == risk.use.reporter_person.name
    report = fresh(RiskReport, body["id"])
    assert report.reporter_unit_id == risk.use.unit.id and report.point_id == risk.use.point.id
    assert db.session.scalar(select(func.count()).select_from(RiskReportEvent)
                             .where(RiskReportEvent.report_id == report.id)) == 1


def test_a_person_who_is_not_a_reporter_cannot_submit(client, risk):
    response = submit(client, risk.use.director_headers)
    assert response.status_code == 403
    assert response.json["code"] == "not_reporter"
    assert _count_reports() == 0


def test_a_revoked_reporter_cannot_submit(client, risk):
    revoked = client.post(f"/api/v1/risk/reporters/{risk.use.reporter.id}/revoke", headers=risk.use.manager_headers)
    assert revoked.status_code == 200, revoked.json
    response = submit(client, risk.use.reporter_headers)
    assert response.status_code == 403 and response.json["code"] == "not_reporter"


def test_a_reporter_of_a_revoked_point_cannot_submit(client, risk):
    revoked = client.post(f"/api/v1/risk/points/{risk.use.point.id}/revoke", json={"reason": "调整"},
                          headers=risk.county.headers)
    assert revoked.status_code == 200, revoked.json
    response = submit(client, risk.use.reporter_headers)
    assert response.status_code == 403 and response.json["code"] == "not_reporter"


def test_incomplete_personnel_information_is_refused_with_what_is_missing(client, risk):
    person = risk.use.reporter_person
    person.id_number = None
    person.phone = None
    db.session.flush()
    response = submit(client, risk.use.reporter_headers)
    assert response.status_code == 409
    assert response.json["code"] == "reporter_info_incomplete"
    missing = {m["field"] for m in response.json["details"]["missing"]}
    assert missing == {"id_number", "phone"}
    assert "身份证号码" in response.json["message"] and "联系电话" in response.json["message"]
    assert _count_reports() == 0


def test_an_enterprise_reporter_needs_a_post_in_the_unit(client, risk, make_person, auth_headers):
    from tests.risk.conftest import new_id_number
    from models.risk import Reporter

    person = make_person(risk.use.unit, "risk_reporter", id_number=new_id_number())  # no post, no title
    db.session.add(Reporter(point_id=risk.use.point.id, person_id=person.id, status="active"))
    db.session.flush()
    headers = auth_headers(person, client="miniapp")
    response = submit(client, headers)
    assert response.status_code == 409
    assert [m["field"] for m in response.json["details"]["missing"]] == ["post"]
    person.title = "扶梯维修工"
    db.session.flush()
    assert submit(client, headers).status_code == 201


def test_title_and_body_limits(client, risk):
    assert submit(client, risk.use.reporter_headers, title="一" * 201).status_code == 422
    response = submit(client, risk.use.reporter_headers, body="析" * 20001)
    assert response.status_code == 422 and "body" in response.json["details"]["fields"]
    one_sentence = submit(client, risk.use.reporter_headers, kind="suggestion", title="建议", body="建议增加扶梯巡检频次。")
    assert one_sentence.status_code == 201
    long_analysis = submit(client, risk.use.reporter_headers, kind="analysis", body="论" * 20000)
    assert long_analysis.status_code == 201


def test_area_and_kind_must_be_known_codes(client, risk):
    response = submit(client, risk.use.reporter_headers, area="weather", kind="rumour")
    assert response.status_code == 422
    assert {"area", "kind"} <= set(response.json["details"]["fields"])


def test_suggested_level_accepts_the_chinese_labels(client, risk):
    response = submit(client, risk.use.reporter_headers, suggested_level="重大")
    assert response.status_code == 201 and response.json["suggested_level"] == "major"


# -- idempotency ---------------------------------------------------------------------------

def test_a_retry_with_the_same_key_makes_one_report_and_the_same_answer(client, risk):
    key = new_key()
    first = submit(client, risk.use.reporter_headers, key=key)
    second = submit(client, risk.use.reporter_headers, key=key)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replay") == "true"
    assert second.json == first.json
    assert _count_reports() == 1
    holder_messages = _messages(risk.county.staff.id, "risk_report_arrived")
    assert len(holder_messages) == 1


def test_another_key_makes_another_report(client, risk):
    submit(client, risk.use.reporter_headers, key=new_key())
    submit(client, risk.use.reporter_headers, key=new_key())
    assert _count_reports() == 2


# -- emergencies are not risk information ------------------------------------------------------

def test_an_entrapment_text_is_diverted_to_96333(client, risk):
    response = submit(client, risk.use.reporter_headers, title="1号电梯困人", body="有人被困在电梯里已经十分钟。")
    assert response.status_code == 409
    assert response.json["code"] == "emergency_not_accepted"
    assert "96333" in response.json["message"]
    assert "被困" in response.json["details"]["keywords"]
    assert response.json["details"]["phones"] == ["96333"]
    assert _count_reports() == 0


def test_a_fire_or_leak_text_is_diverted_to_119_and_injuries_to_120(client, risk):
    response = submit(client, risk.use.reporter_headers, title="锅炉房冒烟", body="锅炉房管道泄漏，有人员受伤。")
    assert response.status_code == 409
    message = response.json["message"]
    assert "119" in message and "120" in message
    assert set(response.json["details"]["phones"]) == {"119", "120"}


def test_an_emergency_looking_text_is_accepted_once_confirmed_not_an_emergency(client, risk):
    analysis = {"kind": "analysis", "title": "近三年气瓶泄漏事故分析",
                "body": "统计近三年辖区液化气瓶泄漏、着火事故的共性原因，提出改进建议。"}
    refused = submit(client, risk.use.reporter_headers, **analysis)
    assert refused.status_code == 409 and refused.json["code"] == "emergency_not_accepted"
    accepted = submit(client, risk.use.reporter_headers, not_emergency_confirmed=True, **analysis)
    assert accepted.status_code == 201, accepted.json
    assert accepted.json["not_emergency_confirmed"] is True


def test_a_report_flagged_as_an_emergency_is_refused_even_with_plain_text(client, risk):
    response = submit(client, risk.use.reporter_headers, emergency=True)
    assert response.status_code == 409
    assert response.json["code"] == "emergency_not_accepted"
    assert "96333" in response.json["message"] and "119" in response.json["message"]
    assert response.json["details"]["flagged"] is True
    assert _count_reports() == 0


def test_emergency_keywords_are_configurable(client, risk, app, monkeypatch):
    monkeypatch.setitem(app.config, "RISK_EMERGENCY_KEYWORDS", {"fire": ["浓烟"]})
    assert submit(client, risk.use.reporter_headers, body="配电间有浓烟。").status_code == 409
    assert submit(client, risk.use.reporter_headers, title="锅炉房着火演练不规范", body="演练流于形式。").status_code == 201


# -- the device ------------------------------------------------------------------------------

def test_a_device_can_be_named_by_scanning_its_code(client, risk):
    response = submit(client, risk.production.reporter_headers, equipment_code_scan=risk.mall.code.lower())
    assert response.status_code == 201, response.json
    assert response.json["equipment_id"] == risk.mall.elevator.id
    assert response.json["catalogue_code"] == "3110"  # from the device
    assert response.json["equipment"]["address"] == "被报告商场 1 号客梯"


def test_a_mistyped_scanned_code_is_refused(client, risk):
    code = risk.mall.code
    wrong = code[:-1] + ("2" if code[-1] != "2" else "3")
    response = submit(client, risk.production.reporter_headers, equipment_code_scan=wrong)
    assert response.status_code in (400, 404)
    assert _count_reports() == 0


def test_a_device_by_id_must_be_one_the_reporter_may_see(client, risk, make_equipment):
    own = make_equipment(risk.use.unit, "3310", address="本单位扶梯")
    assert submit(client, risk.use.reporter_headers, equipment_id=own.id).status_code == 201
    foreign = submit(client, risk.use.reporter_headers, equipment_id=risk.mall.elevator.id)
    assert foreign.status_code == 404


def test_the_region_must_lie_in_the_points_region(client, risk):
    response = submit(client, risk.use.reporter_headers, region_code="610103")
    assert response.status_code == 422
    assert response.json["code"] == "region_outside_point"
    city = submit(client, risk.supervision.reporter_headers, region_code="610103")
    assert city.status_code == 201 and city.json["region_code"] == "610103"


def test_an_unknown_catalogue_code_is_refused(client, risk):
    response = submit(client, risk.use.reporter_headers, catalogue_code="9Z9Z")
    assert response.status_code == 422 and response.json["code"] == "catalogue_code_unknown"


# -- photos and documents --------------------------------------------------------------------------

def test_photos_lose_their_gps_and_get_thumbnails(client, risk, run_jobs):
    headers = risk.use.reporter_headers
    photo_id = upload(client, headers, jpeg_with_gps(orientation=6))
    with Image.open(io.BytesIO(_stored(photo_id))) as before:
        assert before.getexif().get_ifd(GPS_IFD)  # the upload had a position

    response = submit(client, headers, photo_ids=[photo_id])
    assert response.status_code == 201, response.json
    assert response.json["photos"] == [{"id": photo_id, "thumbnail_id": None}]

    data = _stored(photo_id)
    with Image.open(io.BytesIO(data)) as after:
        exif = after.getexif()
        assert not exif.get_ifd(GPS_IFD)
        assert 0x010F not in exif  # no camera make either
        assert exif.get(0x0112) == 6  # but still upright
        after.load()
        assert after.size == (640, 480)
    assert b"GPS" not in data and b"TestCam" not in data
    row = fresh(StoredFile, photo_id)
    assert row.size == len(data)

    run_jobs()
    thumb = media.find_thumbnail(photo_id)
    assert thumb is not None
    with Image.open(io.BytesIO(_stored(thumb.id))) as small:
        assert max(small.size) <= media.THUMBNAIL_SIZE
        assert small.size == (240, 320)  # turned upright by the orientation
        assert not small.getexif().get_ifd(GPS_IFD)

    detail = client.get(f"/api/v1/risk/reports/{response.json['id']}", headers=headers).json
    assert detail["photos"] == [{"id": photo_id, "thumbnail_id": thumb.id}]
    served = client.get(f"/api/v1/risk/reports/{response.json['id']}/files/{photo_id}?thumbnail=true",
                        headers=risk.county.headers)
    assert served.status_code == 200 and served.data == _stored(thumb.id)


def test_png_photos_lose_their_exif_chunk(client, risk):
    image = Image.new("RGB", (32, 32), (0, 128, 0))
    exif = Image.Exif()
    exif.get_ifd(GPS_IFD)[1] = "N"
    exif[0x010F] = "TestCam"
    buffer = io.BytesIO()
    image.save(buffer, "PNG", exif=exif)
    photo_id = upload(client, risk.use.reporter_headers, buffer.getvalue(), "现场.png")
    assert b"eXIf" in _stored(photo_id)
    assert submit(client, risk.use.reporter_headers, photo_ids=[photo_id]).status_code == 201
    data = _stored(photo_id)
    assert b"eXIf" not in data and b"TestCam" not in data
    with Image.open(io.BytesIO(data)) as clean:
        clean.load()
        assert clean.size == (32, 32)


def test_at_most_the_configured_number_of_photos(client, risk, app, monkeypatch):
    monkeypatch.setitem(app.config, "RISK_MAX_PHOTOS", 2)
    ids = [upload(client, risk.use.reporter_headers, jpeg_with_gps(colour=(i, i, i))) for i in range(3)]
    response = submit(client, risk.use.reporter_headers, photo_ids=ids)
    assert response.status_code == 422 and "photo_ids" in response.json["details"]["fields"]
    assert submit(client, risk.use.reporter_headers, photo_ids=ids[:2]).status_code == 201


def test_photos_must_be_images_of_the_reporters_unit(client, risk):
    pdf = upload(client, risk.use.reporter_headers, b"%PDF-1.4\n%test\n", "报告.pdf")
    response = submit(client, risk.use.reporter_headers, photo_ids=[pdf])
    assert response.status_code == 422 and response.json["code"] == "photo_type_not_allowed"
    as_document = submit(client, risk.use.reporter_headers, document_ids=[pdf])
    assert as_document.status_code == 201
    assert as_document.json["documents"][0]["filename"] == "报告.pdf"
    foreign = upload(client, risk.production.reporter_headers, jpeg_with_gps())
    response = submit(client, risk.use.reporter_headers, photo_ids=[foreign])
    assert response.status_code == 422 and response.json["code"] == "file_invalid"


def test_a_broken_jpeg_is_refused(client, risk):
    response = client.post("/api/v1/uploads", headers=risk.use.reporter_headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"\xff\xd8\xff\xe0" + b"\x00" * 64), "现场.jpg")})
    assert (response.status_code, response.json["code"]) == (422, "image_invalid")


def test_a_truncated_jpeg_stored_before_uploads_were_decoded_is_refused_as_a_photo(client, risk):
    # Pillow's verify() passes a JPEG cut in half; only decoding it whole finds it broken.
    truncated = stored_unchecked(risk.use.unit.id, truncated_jpeg(), "现场.jpg", "image/jpeg")
    response = submit(client, risk.use.reporter_headers, photo_ids=[truncated])
    assert (response.status_code, response.json["code"]) == (422, "photo_invalid"), response.json


def _stored(file_id: str) -> bytes:
    row = fresh(StoredFile, file_id)
    with get_storage().open(row.storage_key) as stream:
        return stream.read()


# -- where a report starts ---------------------------------------------------------------------------

def test_a_county_point_starts_at_its_county(client, risk):
    body = submit(client, risk.production.reporter_headers).json
    assert (body["level"], body["holder_region_code"]) == ("county", "610113")


def test_a_city_point_starts_at_the_city(client, risk):
    body = submit(client, risk.supervision.reporter_headers).json
    assert (body["level"], body["holder_region_code"]) == ("city", "610100")
    assert body["holder_office_name"] == "西安市市场监督管理局"


def test_a_hancheng_point_starts_at_hancheng_as_a_city(client, risk, app):
    body = submit(client, risk.inspection.reporter_headers).json
    assert (body["level"], body["holder_region_code"]) == ("city", "610581")
    expected = add_workdays(business_today(), app.config["RISK_DEADLINE_WORKDAYS"]["city"])
    assert body["deadline"] == expected.isoformat()


def test_a_province_point_starts_at_the_province(client, risk, make_unit, make_point):
    agency = make_unit("inspection", "610000", name="陕西省特种设备检验检测研究院")
    point = make_point(agency, "inspection", reporter_roles=("inspector",))
    body = submit(client, point.reporter_headers, region_code="610581").json
    assert (body["level"], body["holder_region_code"]) == ("province", "610000")


def test_the_holders_staff_are_told_when_a_report_arrives(client, risk):
    report_id = submit(client, risk.use.reporter_headers).json["id"]
    messages = _messages(risk.county.staff.id, "risk_report_arrived")
    assert [m.data["report_id"] for m in messages] == [report_id]
    assert not _messages(risk.other_county.staff.id, "risk_report_arrived")
    assert not _messages(risk.city.staff.id, "risk_report_arrived")


# -- who sees it ----------------------------------------------------------------------------------

def test_the_reporter_follows_the_report_in_the_list(client, risk):
    report_id = submit(client, risk.use.reporter_headers).json["id"]
    submit(client, risk.production.reporter_headers)
    listed = client.get("/api/v1/risk/reports?mine=true", headers=risk.use.reporter_headers)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json["items"]] == [report_id]
    item = listed.json["items"][0]
    assert item["holder_office_name"] == "雁塔区市场监督管理局" and item["deadline"]
    assert "reporter" not in item
    assert client.get("/api/v1/risk/reports?status=closed", headers=risk.use.reporter_headers).json["total"] == 0
    assert client.get("/api/v1/risk/reports?level=county&area=use&kind=hazard",
                      headers=risk.use.reporter_headers).json["total"] == 1


def test_the_county_and_city_see_it_and_a_second_county_never_does(client, risk):
    report_id = submit(client, risk.use.reporter_headers).json["id"]
    for headers in (risk.county.headers, risk.city.headers, risk.province.headers):
        assert client.get(f"/api/v1/risk/reports/{report_id}", headers=headers).status_code == 200
        assert client.get("/api/v1/risk/reports", headers=headers).json["total"] == 1
    assert client.get(f"/api/v1/risk/reports/{report_id}", headers=risk.other_county.headers).status_code == 404
    assert client.get("/api/v1/risk/reports", headers=risk.other_county.headers).json["total"] == 0
    assert client.get(f"/api/v1/risk/reports/{report_id}", headers=risk.hancheng.headers).status_code == 404


def test_the_unit_a_report_is_about_never_sees_it(client, risk):
    report_id = submit(client, risk.production.reporter_headers, equipment_code_scan=risk.mall.code).json["id"]
    assert fresh(RiskReport, report_id).equipment_id == risk.mall.elevator.id
    assert client.get(f"/api/v1/risk/reports/{report_id}", headers=risk.mall.admin_headers).status_code == 404
    assert client.get("/api/v1/risk/reports", headers=risk.mall.admin_headers).json["total"] == 0
    photo = client.get(f"/api/v1/risk/reports/{report_id}/files/x", headers=risk.mall.admin_headers)
    assert photo.status_code == 404


def test_another_unit_at_the_same_point_region_does_not_see_it(client, risk):
    report_id = submit(client, risk.use.reporter_headers).json["id"]
    assert client.get(f"/api/v1/risk/reports/{report_id}",
                      headers=risk.production.reporter_headers).status_code == 404


def _identity_views(report_id: int) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "risk.reporter_identity_view", AuditEntry.entity_id == str(report_id))))


def test_a_regulators_view_of_the_reporter_is_audited(client, risk):
    report_id = submit(client, risk.use.reporter_headers).json["id"]
    detail = client.get(f"/api/v1/risk/reports/{report_id}", headers=risk.county.headers)
    assert detail.status_code == 200
    assert detail.json["reporter"]["name"] == risk.use.reporter_person.name
    assert "*" in detail.json["reporter"]["phone"]
    views = _identity_views(report_id)
    assert len(views) == 1
    assert views[0].actor_person_id == risk.county.staff.id
    assert views[0].after["reporter_id"] == risk.use.reporter.id
    client.get(f"/api/v1/risk/reports/{report_id}", headers=risk.city.headers)
    assert len(_identity_views(report_id)) == 2


def test_a_regulator_may_look_without_the_reporter_and_nothing_is_audited(client, risk):
    report_id = submit(client, risk.use.reporter_headers).json["id"]
    detail = client.get(f"/api/v1/risk/reports/{report_id}?include_reporter=false", headers=risk.county.headers)
    assert detail.status_code == 200 and "reporter" not in detail.json
    assert detail.json["events"][0]["holder_office_name"] == "雁塔区市场监督管理局"
    assert _identity_views(report_id) == []


def test_the_reporters_own_unit_sees_the_reporter_without_an_audit(client, risk):
    report_id = submit(client, risk.use.reporter_headers).json["id"]
    for headers in (risk.use.reporter_headers, risk.use.director_headers, risk.use.admin_headers):
        detail = client.get(f"/api/v1/risk/reports/{report_id}", headers=headers)
        assert detail.status_code == 200
        assert detail.json["reporter"]["name"] == risk.use.reporter_person.name
    assert _identity_views(report_id) == []


def test_the_path_names_offices_not_regulator_staff(client, risk):
    report_id = submit(client, risk.use.reporter_headers).json["id"]
    event = client.get(f"/api/v1/risk/reports/{report_id}", headers=risk.use.reporter_headers).json["events"][0]
    assert set(event) >= {"action", "from_level", "to_level", "holder_office_name", "deadline", "note",
                          "created_at"}
    assert "actor_person_id" not in event
    assert risk.county.staff.name not in str(event)


# -- inside the unit ---------------------------------------------------------------------------------

def test_a_use_units_report_goes_to_its_safety_director(client, risk):
    report_id = submit(client, risk.use.reporter_headers).json["id"]
    messages = _messages(risk.use.director.id, "risk_report_unit_director")
    assert [m.data["report_id"] for m in messages] == [report_id]


def test_a_production_units_report_goes_to_its_quality_safety_director(client, risk):
    submit(client, risk.production.reporter_headers)
    assert len(_messages(risk.production.director.id, "risk_report_unit_director")) == 1


def test_an_inspection_agencys_report_goes_to_no_director(client, risk):
    submit(client, risk.inspection.reporter_headers)
    db.session.expire_all()
    assert not db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.template == "risk_report_unit_director"))


def test_the_director_records_what_the_unit_did(client, risk):
    report_id = submit(client, risk.use.reporter_headers).json["id"]
    response = client.post(f"/api/v1/risk/reports/{report_id}/unit-action",
                           json={"action": "已停用该扶梯并通知维保单位更换梳齿板。"}, headers=risk.use.director_headers)
    assert response.status_code == 200, response.json
    assert response.json["unit_action"] == "已停用该扶梯并通知维保单位更换梳齿板。"
    assert response.json["unit_action_at"]
    report = fresh(RiskReport, report_id)
    assert report.unit_action_by_person_id == risk.use.director.id
    assert len(_messages(risk.use.reporter_person.id, "risk_report_unit_action")) == 1
    seen = client.get(f"/api/v1/risk/reports/{report_id}", headers=risk.use.reporter_headers).json
    assert seen["unit_action"] == "已停用该扶梯并通知维保单位更换梳齿板。"


def test_only_the_units_director_records_the_unit_action(client, risk):
    report_id = submit(client, risk.use.reporter_headers).json["id"]
    for headers in (risk.use.reporter_headers, risk.use.admin_headers, risk.county.headers):
        response = client.post(f"/api/v1/risk/reports/{report_id}/unit-action", json={"action": "处理了"},
                               headers=headers)
        assert response.status_code == 403, headers
        assert response.json["code"] == "not_unit_director"
    other = client.post(f"/api/v1/risk/reports/{report_id}/unit-action", json={"action": "处理了"},
                        headers=risk.production.director_headers)
    assert other.status_code == 404
    assert fresh(RiskReport, report_id).unit_action is None


def test_submit_report_can_be_called_from_a_service(risk, app):
    """The handling and insights modules (demo data, tests) call the service directly."""
    from services.orgs.accounts import identity_for
    from services.risk.intake import submit_report

    identity = identity_for(risk.use.reporter_person, "pc")
    report = submit_report(identity, report_body(suggested_level="严重"))
    assert report.id and report.suggested_level == "serious"
    assert report.holder_region_code == "610113" and report.deadline > date.today().replace(year=2000)
    assert [e.action for e in report.events] == ["submitted"]


# -- the shared path helper (used by the handling state machine) ------------------------------------

def test_a_move_writes_the_event_sets_the_new_deadline_and_tells_reporter_and_new_holder(client, risk, app):
    from services.orgs.accounts import identity_for
    from services.risk import path

    report_id = submit(client, risk.use.reporter_headers).json["id"]
    report = fresh(RiskReport, report_id)
    county = identity_for(risk.county.staff, "pc")
    event = path.move(report, "escalated", to_status="handling", to_level="city", holder_region_code="610100",
                      actor=county, note="需市局协调检验机构")
    db.session.commit()  # the test's savepoint; the outer transaction is still rolled back
    expected = add_workdays(business_today(), app.config["RISK_DEADLINE_WORKDAYS"]["city"])
    assert (event.from_level, event.to_level, event.from_status) == ("county", "city", "handling")
    assert event.deadline == expected and event.actor_person_id == risk.county.staff.id
    assert (report.level, report.holder_region_code, report.deadline) == ("city", "610100", expected)

    told = _messages(risk.use.reporter_person.id, "risk_report_moved")
    assert len(told) == 1 and "西安市市场监督管理局" in told[0].body and "需市局协调检验机构" in told[0].body
    assert len(_messages(risk.city.staff.id, "risk_report_arrived")) == 1
    path.notify_reporter(report, event)  # the handling module may call it again: nothing twice
    assert len(_messages(risk.use.reporter_person.id, "risk_report_moved")) == 1

    seen = client.get(f"/api/v1/risk/reports/{report_id}", headers=risk.use.reporter_headers).json
    assert [(e["action"], e["to_level"], e["holder_office_name"]) for e in seen["events"]] == [
        ("submitted", "county", "雁塔区市场监督管理局"), ("escalated", "city", "西安市市场监督管理局")]
    assert seen["events"][1]["note"] == "需市局协调检验机构" and seen["deadline"] == expected.isoformat()
    assert seen["holder_office_name"] == "西安市市场监督管理局"


def test_implementing_runs_on_its_own_allowance_and_closing_ends_the_deadline(client, risk, app):
    from services.risk import path

    report = fresh(RiskReport, submit(client, risk.use.reporter_headers).json["id"])
    event = path.move(report, "measures_sent", to_status="implementing", to_level="county",
                      holder_region_code="610113", actor=None)
    assert event.deadline == add_workdays(business_today(), app.config["RISK_DEADLINE_WORKDAYS"]["implementing"])
    closed = path.move(report, "closed", to_status="closed", to_level="county", holder_region_code="610113",
                       actor=risk.county.staff.id, note="已更换梳齿板")
    assert closed.deadline is None and report.deadline is None and report.closed_at is not None


def test_the_thumbnail_job_makes_each_thumbnail_once(client, risk, run_jobs):
    from jobs.risk import make_thumbnails

    photo_id = upload(client, risk.use.reporter_headers, jpeg_with_gps())
    report_id = submit(client, risk.use.reporter_headers, photo_ids=[photo_id]).json["id"]
    run_jobs()
    assert make_thumbnails(report_id) == 0
    assert db.session.scalar(select(func.count()).select_from(StoredFile)
                             .where(StoredFile.id == media.thumbnail_id(photo_id))) == 1


def test_the_directors_message_names_the_reporter_once(client, risk):
    risk.use.reporter_person.name = "信息报送员"  # the demo reporter's name is the post itself
    db.session.flush()
    submit(client, risk.use.reporter_headers, title="扶梯梳齿板缺齿")
    (message,) = _messages(risk.use.director.id, "risk_report_unit_director")
    assert "信息报送员信息报送员" not in message.body
    assert message.body.startswith("本单位报送了风险信息「扶梯梳齿板缺齿」（报送人：信息报送员）")
