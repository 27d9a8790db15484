"""Schemas for the inbox, subscribe authorisations, and the ops views of tickets, suggestions and messages."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from core.pagination import PageQuery, page_schema
from core.schemas import InputSchema, OutputSchema, one_of
from models.notify import CHANNELS, STATUSES, SUGGESTION_STATUSES, TICKET_STATUSES

_text = lambda n: validate.Length(min=1, max=n)  # noqa: E731


# -- the inbox and subscriptions (the user) ---------------------------------------------------

class UnreadCountSchema(OutputSchema):
    unread = fields.Integer()


class MarkReadInput(InputSchema):
    ids = fields.List(fields.Integer(), validate=validate.Length(min=1, max=500))
    all = fields.Boolean()

    @validates_schema
    def _one_of(self, data, **kwargs):
        if bool(data.get("ids")) == bool(data.get("all")):
            raise ValidationError("请给出 ids 或 all（二选一）。", field_name="ids")


class MarkedSchema(OutputSchema):
    marked = fields.Integer()
    unread = fields.Integer()


class SubscriptionReportInput(InputSchema):
    template_ids = fields.List(fields.String(validate=_text(64)), required=True,
                               validate=validate.Length(min=1, max=20),
                               metadata={"description": "wx.requestSubscribeMessage 中用户选择「允许」的模板 id"})


class SubscriptionSchema(OutputSchema):
    template_id = fields.String()
    templates = fields.List(fields.String())
    remaining = fields.Integer()


class SubscriptionListSchema(OutputSchema):
    items = fields.List(fields.Nested(SubscriptionSchema))


# -- tickets and suggestions (ops staff) -------------------------------------------------------

class TicketQuery(PageQuery):
    status = fields.String(validate=one_of(TICKET_STATUSES))


class TicketReplySchema(OutputSchema):
    by = fields.String()
    at = fields.String()
    text = fields.String(allow_none=True)


class TicketSchema(OutputSchema):
    id = fields.Integer()
    number = fields.String()
    status = fields.String()
    status_label = fields.String()
    question = fields.String()
    person_id = fields.Integer(allow_none=True)
    openid_tail = fields.Function(lambda t: t.openid[-6:])
    replies = fields.List(fields.Nested(TicketReplySchema))
    created_at = fields.DateTime()
    answered_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)


class TicketReplyInput(InputSchema):
    text = fields.String(required=True, validate=_text(1000))


class SuggestionQuery(PageQuery):
    status = fields.String(validate=one_of(SUGGESTION_STATUSES))


class SuggestionSchema(OutputSchema):
    id = fields.Integer()
    number = fields.String()
    text = fields.String()
    status = fields.String()
    status_label = fields.String()
    ops_note = fields.String(allow_none=True)
    handled_by = fields.String(allow_none=True)
    person_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SuggestionUpdateInput(InputSchema):
    status = fields.String(required=True, validate=one_of(SUGGESTION_STATUSES))
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)


# -- messages and figures (ops staff) ----------------------------------------------------------

class MessageQuery(PageQuery):
    status = fields.String(validate=one_of(STATUSES))
    channel = fields.String(validate=one_of(CHANNELS))


class OutboxMessageSchema(OutputSchema):
    id = fields.Integer()
    channel = fields.String()
    template = fields.String()
    title = fields.String()
    recipient_person_id = fields.Integer(allow_none=True)
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)


class FiguresSchema(OutputSchema):
    day = fields.Date()
    units_pending = fields.Integer()
    units_registered_today = fields.Integer()
    applications_pending = fields.Integer()
    applications_overdue = fields.Integer()
    equipment_overdue = fields.Integer()
    equipment_due_soon = fields.Integer()
    messages_failed = fields.Integer()
    messages_retrying = fields.Integer()
    tickets_open = fields.Integer()
    suggestions_new = fields.Integer()


TicketPageSchema = page_schema(TicketSchema)
SuggestionPageSchema = page_schema(SuggestionSchema)
OutboxMessagePageSchema = page_schema(OutboxMessageSchema)
