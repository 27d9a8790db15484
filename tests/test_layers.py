"""The layering of design.md holds: the import-linter contracts in `.importlinter` (which
`make test` also runs as `lint-imports`), and the rules import-linter cannot state because
they are about names or calls, not modules: a service never reads Flask's `request`, a
model never enqueues a job, no service or qr module commits."""
from __future__ import annotations

import ast
import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".importlinter"
# Tools around the platform, not layers of it.
NOT_LAYERS = {"tests", "bench", "migrations"}


def _imports(tree: ast.AST) -> list[tuple[str, str | None]]:
    """(module, name) for every import in a module, also those inside functions."""
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.module, alias.name) for alias in node.names]
    return found


def _attributes(tree: ast.AST) -> set[str]:
    """Dotted names read in a module, as `flask.request`."""
    return {f"{node.value.id}.{node.attr}" for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)}


def _parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def test_the_import_contracts_hold(capsys):
    from importlinter import configuration
    from importlinter.application import use_cases

    configuration.configure()
    passed = use_cases.lint_imports(config_filename=str(CONFIG), cache_dir=None, no_logo=True)
    assert passed, capsys.readouterr().out


def test_every_top_level_package_is_in_the_import_graph():
    """A package missing from root_packages is not in the graph: its layer would pass unchecked."""
    parser = configparser.ConfigParser()
    parser.read(CONFIG, encoding="utf-8")
    declared = set(parser["importlinter"]["root_packages"].split())
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - NOT_LAYERS
    assert packages == declared


def test_no_service_reads_the_request():
    """Services take an Identity or AuditContext; only entry points read Flask's request."""
    offenders = []
    for path in sorted((ROOT / "services").rglob("*.py")):
        if "request" not in path.read_text(encoding="utf-8"):
            continue
        tree = _parse(path)
        names = _imports(tree)
        if {("flask", "request"), ("flask.globals", "request")} & set(names) or (
                ("flask", None) in names and "flask.request" in _attributes(tree)):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_no_model_enqueues_a_job():
    """Jobs are asked for after commit by services (core.tx), never from a model."""
    enqueuing = ("rq", "core.tx", "core.redis", "jobs")
    offenders = [f"{path.relative_to(ROOT)}: {module}"
                 for path in sorted((ROOT / "models").rglob("*.py"))
                 for module, _ in _imports(_parse(path))
                 if any(module == m or module.startswith(m + ".") for m in enqueuing)]
    assert offenders == []


def test_no_service_or_qr_module_commits():
    """One commit point, at the edge (a request, a job, a CLI command): services and qr only flush."""
    offenders = []
    for package in ("services", "qr"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "commit" not in path.read_text(encoding="utf-8"):
                continue
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno}" for node in ast.walk(_parse(path))
                          if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                          and node.func.attr == "commit"]
    assert offenders == []
