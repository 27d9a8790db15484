"""rq job functions (thin: load by id, call a service, commit), the schedule and the CLI."""
from __future__ import annotations

import importlib

from flask import Flask

from jobs.commands import register_commands

# Every module with job functions. Loading them binds each kind of work of the registry
# (`core.work`) to its job function, so `load()` runs when the app is created.
JOB_MODULES = ("jobs.analytics", "jobs.checks", "jobs.equipment", "jobs.inspection", "jobs.maintenance",
               "jobs.notify", "jobs.onecode", "jobs.orgs", "jobs.risk")


def load() -> None:
    """Import every job module; raise when a declared kind of work has no job function."""
    from core import work

    for name in JOB_MODULES:
        importlib.import_module(name)
    missing = work.unbound()
    if missing:
        raise RuntimeError(f"kinds of work without a job function: {', '.join(k.name for k in missing)}")


def init_app(app: Flask) -> None:
    """Register the command-line entry points (`flask worker`, `flask cron`, ...) and bind every kind
    of work (core.work) to its job function."""
    register_commands(app)
    load()
