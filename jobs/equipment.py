"""Jobs of the `equipment` domain: Excel imports too large to process in the request."""
from __future__ import annotations

from core import tx
from core.errors import AppError
from services.equipment import imports


def process_import(import_id: int) -> None:
    """Run the dry run or the import of one uploaded file (queue `default`).

    Safe to run twice (a lost enqueue is enqueued again by `jobs.maintenance.sweep_lost_jobs`):
    the run claims the import for its transaction, so a second run meanwhile or afterwards does
    nothing (`imports.process`). Progress is published as the rows are checked
    (`imports.ProgressPublisher`); the result, and for an import every equipment row, is
    committed once at the end. On failure everything the job wrote is rolled back and the
    import is marked `failed` in a transaction of its own: with the reason when it is one the
    user can act on (a damaged file, a conflict with a device added meanwhile), otherwise
    re-raised for rq to record.
    """
    try:
        imports.process(import_id, imports.ProgressPublisher(import_id))
        tx.commit()
    except AppError as error:
        tx.rollback()
        imports.mark_failed(import_id, error.message)
        tx.commit()
    except Exception:
        tx.rollback()
        imports.mark_failed(import_id, "处理失败，请稍后重新上传；如仍失败请联系运维人员。")
        tx.commit()
        raise
