"""Uploads: checked by content and size, stored, and downloadable only by the uploader's unit."""
import hashlib
import io

import pytest

from tests.images import EXE_AS_JPEG, png, png_bomb, truncated_jpeg, truncated_png

PNG = png()


@pytest.fixture
def unit(make_unit):
    return make_unit("use", "610113")


@pytest.fixture
def uploader(unit, make_person, auth_headers):
    return auth_headers(make_person(unit, "safety_officer"))


def upload(client, headers=None, content=PNG, filename="现场照片.png"):
    data = {} if content is None else {"file": (io.BytesIO(content), filename)}
    return client.post("/api/v1/uploads", data=data, headers=headers or {}, content_type="multipart/form-data")


def download(client, file_id, headers):
    """(status, body, mimetype) of a download; the file handle is closed."""
    with client.get(f"/api/v1/uploads/{file_id}", headers=headers) as response:
        return response.status_code, response.data, response.mimetype


def test_a_png_is_stored_and_downloadable_by_the_same_unit(client, unit, uploader, make_person, auth_headers):
    response = upload(client, uploader)
    assert response.status_code == 201, response.json
    stored = response.json
    assert stored["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert (stored["size"], stored["content_type"], stored["filename"]) == (len(PNG), "image/png", "现场照片.png")

    colleague = auth_headers(make_person(unit, "unit_admin"))
    assert download(client, stored["id"], colleague) == (200, PNG, "image/png")


def test_another_unit_cannot_download_the_file(client, uploader, make_unit, make_person, auth_headers):
    file_id = upload(client, uploader).json["id"]
    stranger = auth_headers(make_person(make_unit("use", "610113"), "unit_admin"))
    assert download(client, file_id, stranger)[0] == 404
    assert download(client, "no-such-file", stranger)[0] == 404


@pytest.mark.parametrize("content, filename", [
    (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(32), "setup.exe"),
    (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(32), "setup.png"),
    (b"just some text, not an image", "notes.png"),
    (PNG, "photo.pdf"),
])
def test_a_file_whose_content_is_not_an_allowed_kind_is_refused(client, uploader, content, filename):
    response = upload(client, uploader, content, filename)
    assert (response.status_code, response.json["code"]) == (422, "file_type_not_allowed")
    assert "file" in response.json["details"]["fields"]


@pytest.mark.parametrize("content, filename", [
    (EXE_AS_JPEG, "现场.jpg"),
    (truncated_jpeg(), "现场.jpg"),
    (truncated_png(), "现场.png"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64)), "现场.png"),
], ids=["exe_behind_jpeg_magic", "truncated_jpeg", "truncated_png", "png_header_only"])
def test_an_image_that_does_not_decode_whole_is_refused_at_upload(client, uploader, content, filename):
    response = upload(client, uploader, content, filename)
    assert (response.status_code, response.json["code"]) == (422, "image_invalid"), response.json
    assert "file" in response.json["details"]["fields"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json["message"])


def test_a_png_bomb_is_refused_at_upload_before_it_is_decoded(client, uploader):
    response = upload(client, uploader, png_bomb(), "现场.png")
    assert (response.status_code, response.json["code"]) == (422, "image_too_large"), response.json


def test_an_image_over_the_pixel_limit_is_refused(client, app, uploader, monkeypatch):
    monkeypatch.setitem(app.config, "IMAGE_MAX_PIXELS", 399)
    response = upload(client, uploader, png((20, 20)), "现场.png")
    assert (response.status_code, response.json["code"]) == (422, "image_too_large")
    monkeypatch.setitem(app.config, "IMAGE_MAX_PIXELS", 400)
    assert upload(client, uploader, png((20, 20)), "现场.png").status_code == 201


def test_a_file_over_the_limit_is_refused(client, app, uploader, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", len(PNG) - 1)
    response = upload(client, uploader)
    assert (response.status_code, response.json["code"]) == (413, "file_too_large")
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", len(PNG))
    assert upload(client, uploader).status_code == 201


def test_a_request_without_a_file_part_is_refused(client, uploader):
    response = upload(client, uploader, content=None)
    assert (response.status_code, response.json["code"]) == (422, "file_missing")
    assert "file" in response.json["details"]["fields"]


def test_anonymous_upload_is_refused(client):
    assert upload(client).status_code == 401


def test_a_retried_upload_with_the_same_idempotency_key_returns_the_first_file(client, uploader):
    from sqlalchemy import func, select

    from core.extensions import db
    from core.storage import StoredFile

    headers = {**uploader, "Idempotency-Key": "upload-0001"}
    first, retry = upload(client, headers), upload(client, headers)
    assert (first.status_code, retry.status_code) == (201, 201), retry.json
    assert retry.json == first.json
    assert retry.headers["Idempotent-Replay"] == "true"
    assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 1
    other = upload(client, headers, content=PNG + b"another photo")
    assert (other.status_code, other.json["code"]) == (422, "idempotency_key_reused")


def test_an_idempotency_key_is_kept_per_person(client, uploader, make_unit, make_person, auth_headers):
    stranger = auth_headers(make_person(make_unit("use", "610113"), "unit_admin"))
    key = {"Idempotency-Key": "upload-0001"}
    mine = upload(client, {**uploader, **key}).json
    theirs = upload(client, {**stranger, **key})
    assert theirs.status_code == 201, theirs.json
    assert "Idempotent-Replay" not in theirs.headers
    assert theirs.json["id"] != mine["id"]
    assert download(client, theirs.json["id"], stranger)[:2] == (200, PNG)


def test_a_file_stored_in_a_transaction_that_rolls_back_is_deleted_and_a_committed_one_stays(app, client):
    from pathlib import Path

    from core import tx
    from core.storage import store_upload

    files = Path(app.config["UPLOAD_DIR"])
    refused = store_upload(io.BytesIO(PNG), "回滚.png", None, None)
    refused_path = files / refused.storage_key[:2] / refused.storage_key
    assert refused_path.exists()
    tx.rollback()  # e.g. the request failed after the file was written
    assert not refused_path.exists()

    kept = store_upload(io.BytesIO(PNG), "提交.png", None, None)
    kept_path = files / kept.storage_key[:2] / kept.storage_key
    tx.commit()
    tx.rollback()  # a later rollback does not touch what was committed
    assert kept_path.exists()


def test_a_savepoint_rolled_back_deletes_only_the_files_written_inside_it(app, client):
    from pathlib import Path

    from core import tx
    from core.extensions import db
    from core.storage import store_upload

    files = Path(app.config["UPLOAD_DIR"])
    outer = store_upload(io.BytesIO(PNG), "外层.png", None, None)
    savepoint = db.session.begin_nested()
    inner = store_upload(io.BytesIO(PNG), "内层.png", None, None)
    savepoint.rollback()  # e.g. a conflict handled inside the request
    tx.commit()
    assert (files / outer.storage_key[:2] / outer.storage_key).exists()
    assert not (files / inner.storage_key[:2] / inner.storage_key).exists()


def test_a_savepoint_released_commits_nothing_of_the_files_yet(app, client):
    from pathlib import Path

    from core import tx
    from core.extensions import db
    from core.storage import StoredFile, discard, store_upload

    files = Path(app.config["UPLOAD_DIR"])
    kept = store_upload(io.BytesIO(PNG), "已提交.png", None, None)
    tx.commit()
    kept_path = files / kept.storage_key[:2] / kept.storage_key

    written = store_upload(io.BytesIO(PNG), "未提交.png", None, None)
    written_path = files / written.storage_key[:2] / written.storage_key
    discard(db.session.get(StoredFile, kept.id))
    with db.session.begin_nested():  # e.g. a message queued in a savepoint: released, not committed
        pass
    assert kept_path.exists()  # the discard waits for the real commit
    tx.rollback()
    assert kept_path.exists() and db.session.get(StoredFile, kept.id) is not None
    assert not written_path.exists()
