"""Batch answers for machine writes: one result per record, one commit for the request.

A domain endpoint of /open/v1 takes a list of records, each with the sender's own record id
(`external_id`), and hands each one to a service function inside a savepoint:

    @blp.post("/filling-records")
    @blp.arguments(FillingBatchInput)
    @blp.response(200, BatchAnswerSchema)
    def upload(data):
        identity = require_scope("filling:write")
        return run_batch(data["records"], lambda record: cylinders.upsert_filling_record(identity, record))

The service upserts by (the caller's unit, external_id) (`core.columns.ExternalIdColumns`): a new id
is inserted (`applied`), a known id with the same content changes nothing (`unchanged`), a known id
with new content is updated (`applied`). A record the rules refuse raises an AppError: its savepoint
is rolled back and the record answers `error` with the code, message and field details, while the
others go through. The answer is 200 with the counts; the request commits once at its edge.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from flask import current_app
from marshmallow import fields
from sqlalchemy.exc import IntegrityError

from core.errors import AppError, InvalidInput
from core.extensions import db
from core.schemas import OutputSchema

OUTCOMES = ("applied", "unchanged", "error")


@dataclass(frozen=True)
class Outcome:
    """What a service did with one record: `applied` or `unchanged`, and the platform's id for it."""

    status: str
    id: int | str | None = None


@dataclass
class BatchAnswer:
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for result in self.results:
            counts[result["status"]] += 1
        return counts

    def add(self, index: int, external_id: str | None, status: str, **extra: Any) -> None:
        self.results.append({"index": index, "external_id": external_id, "status": status, **extra})


def run_batch(records: Iterable[dict[str, Any]], handle: Callable[[dict[str, Any]], Outcome]) -> BatchAnswer:
    """Apply `handle` to each record in its own savepoint and collect a result per record.

    More than OPEN_BATCH_MAX_RECORDS records is refused whole (422 batch_too_large).
    An AppError (or a constraint clash) from one record rolls back that record only and becomes
    its `error` result; any other exception propagates (a bug answers 500 and nothing commits).
    """
    records = list(records)
    limit = current_app.config["OPEN_BATCH_MAX_RECORDS"]
    if len(records) > limit:
        raise InvalidInput.field("records", f"每次最多提交 {limit} 条记录。", code="batch_too_large")
    answer = BatchAnswer()
    for index, record in enumerate(records):
        external_id = record.get("external_id")
        savepoint = db.session.begin_nested()
        try:
            outcome = handle(record)
            db.session.flush()
        except AppError as error:
            savepoint.rollback()
            answer.add(index, external_id, "error", error={"code": error.code, "message": error.message,
                                                           "details": error.details})
            continue
        except IntegrityError:
            savepoint.rollback()
            answer.add(index, external_id, "error", error={"code": "conflict", "details": {},
                                                           "message": "与现有数据冲突。"})
            continue
        savepoint.commit()
        answer.add(index, external_id, outcome.status, id=outcome.id)
    return answer


class RecordErrorSchema(OutputSchema):
    code = fields.String()
    message = fields.String()
    details = fields.Dict()


class RecordResultSchema(OutputSchema):
    index = fields.Integer(metadata={"description": "该记录在请求 records 中的位置（从 0 开始）"})
    external_id = fields.String(allow_none=True, metadata={"description": "发送方自己的记录编号"})
    status = fields.String(metadata={"description": "applied（已写入）、unchanged（无变化）或 error"})
    id = fields.Raw(allow_none=True, metadata={"description": "平台内的记录编号"})
    error = fields.Nested(RecordErrorSchema, allow_none=True)


class BatchAnswerSchema(OutputSchema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    results = fields.List(fields.Nested(RecordResultSchema))
