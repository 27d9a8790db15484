"""The public page a phone camera opens: server-rendered, Chinese, no scripts, works in Chromium."""
import shutil
import subprocess
import threading

import pytest
from PIL import Image
from werkzeug.serving import make_server

from qr.codes import check_char


def test_the_public_page_shows_the_card_in_chinese_without_scripts(client, site):
    response = client.get(f"/c/{site['code']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "在检验有效期内" in html and "曳引驱动乘客电梯" in html and "梯11陕A00042(24)" in html
    assert 'href="tel:96333"' in html
    assert "<script" not in html
    assert len(response.data) < 8000  # one small page, loads fast on a phone


def test_the_cached_page_follows_changes_to_the_device(client, site):
    from core import tx
    from core.extensions import db
    from core.redis import get_redis
    from models.equipment import Equipment
    from services.onecode import cache

    assert "在检验有效期内" in client.get(f"/c/{site['code']}").get_data(as_text=True)
    assert get_redis().exists(cache.page_key(site["code"]))  # the second view is served as rendered
    db.session.get(Equipment, site["elevator"].id).use_status = "suspended"
    tx.commit()
    html = client.get(f"/c/{site['code']}").get_data(as_text=True)
    assert "请勿使用" in html and "在检验有效期内" not in html


def test_the_public_page_answers_voided_and_mistyped_codes(client, site):
    assert client.get(f"/c/{site['code']}").status_code == 200  # cached before it is voided
    client.post(f"/api/v1/onecode/codes/{site['code']}/void", json={"reason": "遗失"}, headers=site["admin_headers"])
    voided = client.get(f"/c/{site['code']}")
    assert voided.status_code == 410 and "此码已作废" in voided.get_data(as_text=True)
    typo = client.get("/c/ABCDEFGHJ2")
    assert typo.status_code == 400 and "二维码编号有误" in typo.get_data(as_text=True)
    body = "ZZZZZZZZZ"
    assert client.get(f"/c/{body}{check_char(body)}").status_code == 404


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.mark.skipif(not shutil.which("chromium"), reason="Chromium comes with `make test` (Debian chromium)")
def test_the_public_page_renders_in_headless_chromium(site, live_server, tmp_path):
    url = f"{live_server}/c/{site['code']}"
    flags = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--window-size=390,844", "--hide-scrollbars"]
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=60).stdout
    assert "在检验有效期内" in dom and "演示扫码商场" in dom
    shot = tmp_path / "card.png"
    subprocess.run([*flags, f"--screenshot={shot}", url], capture_output=True, timeout=60, check=True)
    image = Image.open(shot).convert("RGB")
    assert image.size == (390, 844)
    assert image.getpixel((30, 80)) == (0x16, 0x80, 0x3C)  # the green status band


@pytest.mark.parametrize(("code", "status"), [("ABCDEFGHJ2", 400), ("ZZZZZZZZZ" + check_char("ZZZZZZZZZ"), 404)])
def test_a_mistyped_or_unknown_code_offers_96333_and_a_form_to_type_it_again(client, app, code, status):
    response = client.get(f"/c/{code}")
    assert response.status_code == status and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert f'href="tel:{app.config["RESCUE_PHONE"]}"' in html
    assert '<form class="reenter" method="get" action="/c">' in html
    assert 'name="code"' in html and f'value="{code}"' in html
    assert "<script" not in html


def test_the_reentered_code_goes_to_its_page(client, site):
    response = client.get("/c", query_string={"code": f" {site['code'].lower()} "})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/c/{site['code']}")
    assert client.get(response.headers["Location"]).status_code == 200
    empty = client.get("/c?code=")
    assert empty.status_code == 400 and 'name="code"' in empty.get_data(as_text=True)
