"""The caller: profile, scope and in-app inbox."""
from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import require_login
from core.pagination import PageQuery, page_schema, paginate
from core.scoping import get_in_scope
from miniapp_api.schemas.auth import MeSchema, MessageSchema
from models.orgs import Person
from services import notify

blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="当前用户")


@blp.get("")
@blp.response(200, MeSchema)
def me():
    identity = require_login()
    person = get_in_scope(Person, identity.person_id, identity)
    if identity.region_codes is None:
        kind = "province"
    elif identity.is_regulator:
        kind = "region"
    else:
        kind = "unit"
    return {"person": person, "unit": person.unit, "roles": sorted(identity.roles), "client": identity.client,
            "scope": {"kind": kind, "region_code": identity.region_code, "region_level": identity.region_level,
                      "region_codes": sorted(identity.region_codes) if identity.region_codes else None}}


@blp.get("/messages")
@blp.arguments(PageQuery, location="query")
@blp.response(200, page_schema(MessageSchema))
def messages(args):
    """The in-app inbox, newest first."""
    return paginate(notify.inbox(require_login().person_id), args["page"], args["page_size"])
