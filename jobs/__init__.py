"""rq job functions (thin: load by id, call a service, commit), the schedule and the CLI."""
from __future__ import annotations

from flask import Flask

from jobs.commands import register_commands


def init_app(app: Flask) -> None:
    """Register the command-line entry points (`flask worker`, `flask cron`, ...)."""
    register_commands(app)
