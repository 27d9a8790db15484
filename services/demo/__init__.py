"""Demo data for `make run` (`flask demo-data`). Loading twice adds nothing."""
from __future__ import annotations

from services.demo import applications, checks, clients, equipment, inspection, offices, orgs, risk
from services.demo.orgs import DEMO_PASSWORD, demo_id_number, demo_person, demo_uscc

__all__ = ["DEMO_PASSWORD", "demo_id_number", "demo_person", "demo_uscc", "load"]


def load() -> int:
    """Create whatever demo record is missing; returns how many were added."""
    return (orgs.load() + equipment.load() + applications.load() + checks.load() + offices.load() + risk.load()
            + inspection.load() + clients.load())
