"""Jobs of the `equipment` domain: Excel imports too large to process in the request."""
from __future__ import annotations

from services.equipment import imports
from services.equipment.imports import IMPORT_WORK


@IMPORT_WORK.job
def process_import(import_id: int) -> None:
    """Run the dry run or the import of one uploaded file (`IMPORT_WORK`: queue `default`,
    IMPORT_JOB_TIMEOUT).

    Safe to run twice (a lost enqueue is enqueued again by `jobs.maintenance.sweep_lost_jobs`):
    the run claims the import for its transaction, so a second run meanwhile does nothing, and one
    afterwards finds it final (`imports.process`). Progress is published as the rows are checked,
    on the row and in the rq job's meta; the result, and for an import every equipment row, is
    committed once at the end. On failure everything the job wrote is rolled back and the import
    is marked `failed` (`WorkKind.perform`): with the reason when it is one the user can act on (a
    damaged file, a conflict with a device added meanwhile), otherwise re-raised for rq to record.
    """
    IMPORT_WORK.perform(import_id, imports.process)
