"""The inbox's unread count and read marks, subscribe authorisations (the user);
tickets, suggestions, messages and today's figures (ops staff)."""
from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import Identity, require_login
from core.errors import Forbidden
from core.pagination import paginate
from miniapp_api.schemas.notify import (FiguresSchema, MarkedSchema, MarkReadInput, MessageQuery,
                                        OutboxMessagePageSchema, OutboxMessageSchema, SubscriptionListSchema,
                                        SubscriptionReportInput, SuggestionPageSchema, SuggestionQuery,
                                        SuggestionSchema, SuggestionUpdateInput, TicketPageSchema, TicketQuery,
                                        TicketReplyInput, TicketSchema, UnreadCountSchema)
from services import notify
from services.analytics import digest
from services.notify import subscriptions, suggestions, tickets

blp = Blueprint("notify", __name__, url_prefix="/api/v1/me", description="站内消息与订阅消息授权")
ops_blp = Blueprint("notify_ops", __name__, url_prefix="/api/v1/ops", description="运维：工单、建议、消息")


@blp.get("/messages/unread-count")
@blp.response(200, UnreadCountSchema)
def unread_count():
    """How many inbox messages are unread (the mini program's badge)."""
    return {"unread": notify.unread_count(require_login().person_id)}


@blp.post("/messages/read")
@blp.arguments(MarkReadInput)
@blp.response(200, MarkedSchema)
def mark_read(data):
    """Mark inbox messages read: `{"ids": [...]}` or `{"all": true}`; others' ids are ignored."""
    person_id = require_login().person_id
    marked = notify.mark_read(person_id, None if data.get("all") else data["ids"])
    return {"marked": marked, "unread": notify.unread_count(person_id)}


@blp.get("/subscriptions")
@blp.response(200, SubscriptionListSchema)
def list_subscriptions():
    """The subscribe-message templates to ask the user for, with the authorisations left of each."""
    return {"items": subscriptions.summary(require_login().person_id)}


@blp.post("/subscriptions")
@blp.arguments(SubscriptionReportInput)
@blp.response(201, SubscriptionListSchema)
def report_subscriptions(data):
    """Record the templates the user accepted in `wx.requestSubscribeMessage` (one message each)."""
    person_id = require_login().person_id
    subscriptions.record_grants(person_id, data["template_ids"])
    return {"items": subscriptions.summary(person_id)}


# -- ops staff ------------------------------------------------------------------------------------

def require_ops() -> Identity:
    identity = require_login()
    if not identity.is_ops:
        raise Forbidden("只有运维人员可以查看。", code="not_ops")
    return identity


def _by(identity: Identity) -> str:
    return f"person:{identity.person_id}"


@ops_blp.get("/figures")
@ops_blp.response(200, FiguresSchema)
def figures():
    """Today's figures (the same as the bot's 「今日数据」)."""
    require_ops()
    return digest.figures()


@ops_blp.get("/tickets")
@ops_blp.arguments(TicketQuery, location="query")
@ops_blp.response(200, TicketPageSchema)
def list_tickets(args):
    require_ops()
    return paginate(tickets.list_tickets_stmt(status=args.get("status")), args["page"], args["page_size"])


@ops_blp.get("/tickets/<int:ticket_id>")
@ops_blp.response(200, TicketSchema)
def get_ticket(ticket_id):
    require_ops()
    return tickets.get_ticket(ticket_id)


@ops_blp.post("/tickets/<int:ticket_id>/reply")
@ops_blp.arguments(TicketReplyInput)
@ops_blp.response(200, TicketSchema)
def reply_ticket(data, ticket_id):
    """Answer a ticket from the console; the user gets it as a customer-service message."""
    identity = require_ops()
    return tickets.reply(tickets.get_ticket(ticket_id), data["text"], _by(identity))


@ops_blp.post("/tickets/<int:ticket_id>/close")
@ops_blp.response(200, TicketSchema)
def close_ticket(ticket_id):
    identity = require_ops()
    return tickets.close(tickets.get_ticket(ticket_id), _by(identity))


@ops_blp.get("/suggestions")
@ops_blp.arguments(SuggestionQuery, location="query")
@ops_blp.response(200, SuggestionPageSchema)
def list_suggestions(args):
    require_ops()
    return paginate(suggestions.list_suggestions_stmt(args.get("status")), args["page"], args["page_size"])


@ops_blp.patch("/suggestions/<int:suggestion_id>")
@ops_blp.arguments(SuggestionUpdateInput)
@ops_blp.response(200, SuggestionSchema)
def update_suggestion(data, suggestion_id):
    """Move a suggestion along its review; the suggester is told in the inbox."""
    identity = require_ops()
    return suggestions.update_status(suggestions.get_suggestion(suggestion_id), data["status"], data.get("note"),
                                     _by(identity))


@ops_blp.get("/messages")
@ops_blp.arguments(MessageQuery, location="query")
@ops_blp.response(200, OutboxMessagePageSchema)
def list_messages(args):
    require_ops()
    return paginate(notify.outbox.list_messages_stmt(args.get("status"), args.get("channel")),
                    args["page"], args["page_size"])


@ops_blp.post("/messages/<int:message_id>/retry")
@ops_blp.response(200, OutboxMessageSchema)
def retry_message(message_id):
    """Send a failed message again once its cause is fixed."""
    require_ops()
    return notify.retry(message_id)
