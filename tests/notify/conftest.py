import pytest
from sqlalchemy import select

from core.extensions import db
from models.notify import OutboxMessage
from models.orgs import Account

SUBSCRIBE_PATH = "cgi-bin/message/subscribe/send"
TEMPLATES = {
    "unit_registration_submitted": {"template_id": "tmpl-unit-review", "page": "pages/inbox/index",
                                    "data": {"thing1": "{title}", "thing2": "{body}", "time3": "{time}"}},
    "weekly_report_due": {"template_id": "tmpl-reminder", "data": {"thing1": "{title}", "thing4": "{body}"}},
}


@pytest.fixture
def templates(app, monkeypatch):
    """Subscribe templates configured for two message types."""
    monkeypatch.setitem(app.config, "WECHAT_SUBSCRIBE_TEMPLATES", TEMPLATES)
    return TEMPLATES


@pytest.fixture
def bind():
    """Give a person a WeChat openid, as the mini-program login would."""
    from services.orgs import accounts

    def bind_(person, openid: str | None = None):
        account = accounts.account_for(person)
        account.openid = openid or f"openid-person-{person.id}"
        db.session.flush()
        return account.openid

    return bind_


@pytest.fixture
def county(make_unit, make_person, auth_headers, bind):
    """雁塔区 regulator staff with WeChat bound: the reviewer of registrations there."""
    person = make_person(make_unit("regulator", "610113", name="雁塔区监管"), "regulator_staff")
    openid = bind(person)
    return {"person": person, "openid": openid, "headers": auth_headers(person, "miniapp")}


def rows(channel: str | None = None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if channel:
        stmt = stmt.where(OutboxMessage.channel == channel)
    db.session.expire_all()
    return list(db.session.scalars(stmt))


def openid_of(person) -> str | None:
    return db.session.scalar(select(Account.openid).where(Account.person_id == person.id))
