"""The registry of scan views: per target type, who a scanning caller is to the target.

Each domain registers, for a target type, audiences in order, closest tie first:

    views.register("equipment", "regulator", applies=is_regulator_over, build=full_record)
    views.register("equipment", "agency", applies=pending_application, build=..., before="reporter")

`applies(identity, target)` returns something truthy when the caller is that audience (it is
handed on to `build`, so a predicate that had to look something up need not look twice);
`build(identity, target, match)` returns the view's details (a dict). The first audience that
applies wins; an anonymous caller, or one no audience applies to, gets the public card.

A domain above the one that registered an audience adds to that audience's view without
replacing it (the checks domain adds today's daily check to equipment's use-unit view):

    views.extend("equipment", "unit", "daily_check", build=today_state)

Each extension's `build(identity, target, match)` result is added to the details under its key
(None when it has nothing to add for this caller), in the order the extensions were added.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.auth import Identity

PUBLIC = "public"

Applies = Callable[[Identity, Any], Any]
Build = Callable[[Identity, Any, Any], dict[str, Any]]


@dataclass(frozen=True)
class View:
    audience: str
    applies: Applies
    build: Build


def _no_details(identity: Identity, target: Any, match: Any) -> dict[str, Any]:
    return {}


_VIEWS: dict[str, list[View]] = {}
# (target type, audience) -> {details key: build}; kept apart from the views, so an audience
# registered again keeps what others added to it.
_EXTENSIONS: dict[tuple[str, str], dict[str, Build]] = {}


def register(target_type: str, audience: str, applies: Applies, build: Build | None = None,
             before: str | None = None) -> None:
    """Add an audience for scans of `target_type`: at the end, or just before the audience `before`
    (when that is registered). Registering an audience again replaces it in place."""
    views = _VIEWS.setdefault(target_type, [])
    view = View(audience, applies, build or _no_details)
    for index, existing in enumerate(views):
        if existing.audience == audience:
            views[index] = view
            return
    positions = [i for i, v in enumerate(views) if v.audience == before]
    views.insert(positions[0] if positions else len(views), view)


def extend(target_type: str, audience: str, key: str, build: Build) -> None:
    """Add `key` to the details of an audience's view: `build(identity, target, match)` (None:
    nothing for this caller). Adding a key again replaces its build."""
    _EXTENSIONS.setdefault((target_type, audience), {})[key] = build


def unregister(target_type: str) -> None:
    """Forget every audience of a target type (tests register throw-away types)."""
    _VIEWS.pop(target_type, None)
    for pair in [p for p in _EXTENSIONS if p[0] == target_type]:
        del _EXTENSIONS[pair]


def audiences(target_type: str) -> list[str]:
    """The registered audiences of a target type, in the order they are tried."""
    return [v.audience for v in _VIEWS.get(target_type, ())]


def choose(identity: Identity, target_type: str, target: Any) -> tuple[str, dict[str, Any]]:
    """(audience, details) for this caller and target: the first registered audience that applies,
    else the public card (no details)."""
    if identity.is_authenticated and target is not None:
        for view in _VIEWS.get(target_type, ()):
            match = view.applies(identity, target)
            if match:
                details = dict(view.build(identity, target, match))
                for key, build in _EXTENSIONS.get((target_type, view.audience), {}).items():
                    details[key] = build(identity, target, match)
                return view.audience, details
    return PUBLIC, {}
