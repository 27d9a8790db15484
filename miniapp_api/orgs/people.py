"""People of a unit, their roles, and WeChat invitations."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from core.auth import Identity, require_login
from core.pagination import paginate
from core.scoping import get_in_scope
from miniapp_api.schemas.orgs import (InvitationSchema, PersonFullSchema, PersonInput, PersonPageSchema,
                                      PersonQuery, PersonSchema, PersonUpdateInput)
from models.orgs import Person, Unit
from services.orgs import accounts, people

blp = Blueprint("people", __name__, url_prefix="/api/v1", description="人员管理")


def _dump(identity: Identity, person: Person):
    """Whole ID and phone numbers only for the person and their unit's admins."""
    schema = PersonFullSchema() if people.sees_personal_data(identity, person) else PersonSchema()
    return jsonify(schema.dump(person))


@blp.get("/units/<int:unit_id>/people")
@blp.arguments(PersonQuery, location="query")
@blp.response(200, PersonPageSchema)
def list_people(args, unit_id):
    identity = require_login()
    get_in_scope(Unit, unit_id, identity, "未找到该单位。")
    page, size = args.pop("page"), args.pop("page_size")
    return paginate(people.list_people_stmt(identity, unit_id=unit_id, **args), page, size)


@blp.post("/units/<int:unit_id>/people")
@blp.arguments(PersonInput)
@blp.response(201, PersonFullSchema)
def create_person(data, unit_id):
    identity = require_login()
    unit = get_in_scope(Unit, unit_id, identity, "未找到该单位。")
    return people.create_person(identity, unit, data)


@blp.get("/people/<int:person_id>")
@blp.response(200, PersonFullSchema)
def get_person(person_id):
    identity = require_login()
    return _dump(identity, get_in_scope(Person, person_id, identity, "未找到该人员。"))


@blp.patch("/people/<int:person_id>")
@blp.arguments(PersonUpdateInput)
@blp.response(200, PersonFullSchema)
def update_person(changes, person_id):
    identity = require_login()
    person = get_in_scope(Person, person_id, identity, "未找到该人员。")
    return people.update_person(identity, person, changes)


@blp.delete("/people/<int:person_id>")
@blp.response(200, PersonFullSchema)
def deactivate_person(person_id):
    """Mark someone as left: logins revoked, WeChat unbound, history kept."""
    identity = require_login()
    person = get_in_scope(Person, person_id, identity, "未找到该人员。")
    return people.deactivate_person(identity, person)


@blp.post("/people/<int:person_id>/invitations")
@blp.response(201, InvitationSchema)
def invite(person_id):
    """An invitation code with which the person binds their WeChat in the mini program."""
    identity = require_login()
    person = get_in_scope(Person, person_id, identity, "未找到该人员。")
    return accounts.issue_invitation(identity, person)
