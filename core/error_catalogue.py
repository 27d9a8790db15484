"""The error-code catalogue (code, HTTP status, Chinese message), read from the source itself.

Every `AppError` subclass with its class-level code, and every call that raises one with an
explicit `code="..."` literal (`InvalidInput.field(..., code=...)` included), plus the envelope's
own HTTP codes and `error_response("code", "message", status)` calls. Nothing is registered by
hand, so a new code appears here the moment it is written. Codes built at run time (f-strings)
are listed by their pattern, `{…}` standing for the variable part.
"""
from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "models", "qr", "services", "miniapp_api", "integration_api", "web", "bot", "jobs")


def _text(node: ast.AST | None) -> str | None:
    """A string literal, or an f-string with its placeholders shown as {…}."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{…}" for part in node.values)
    return None


def _int(node: ast.AST | None) -> int | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, int) else None


def _class_attributes(node: ast.ClassDef) -> dict:
    attributes: dict = {}
    for statement in node.body:
        if not isinstance(statement, ast.Assign):
            continue
        for target in statement.targets:
            if isinstance(target, ast.Tuple) and isinstance(statement.value, ast.Tuple):
                pairs = zip(target.elts, statement.value.elts)
            else:
                pairs = [(target, statement.value)]
            for name, value in pairs:
                if isinstance(name, ast.Name) and name.id in ("status", "code", "message"):
                    attributes[name.id] = _int(value) if name.id == "status" else _text(value)
    return attributes


def _trees() -> list[ast.Module]:
    return [ast.parse(path.read_text(encoding="utf-8"), str(path))
            for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]


def _error_classes(trees: list[ast.Module]) -> dict[str, dict]:
    """Every AppError subclass by name, with its (inherited) status, code and message."""
    declared: dict[str, tuple[list[str], dict]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = [base.id if isinstance(base, ast.Name) else getattr(base, "attr", "") for base in node.bases]
                declared[node.name] = (bases, _class_attributes(node))
    resolved: dict[str, dict] = {}

    def resolve(name: str, seen: frozenset = frozenset()) -> dict | None:
        if name in resolved:
            return resolved[name]
        if name not in declared or name in seen:
            return None
        bases, attributes = declared[name]
        inherited = None
        for base in bases:
            inherited = resolve(base, seen | {name})
            if inherited is not None:
                break
        if inherited is None and name != "AppError":
            return None
        resolved[name] = {**(inherited or {}), **{k: v for k, v in attributes.items() if v is not None}}
        return resolved[name]

    for name in declared:
        resolve(name)
    return resolved


@cache
def catalogue() -> list[dict]:
    """[{code, status, message}], one entry per (code, status), sorted by code then status; the
    message is the first one found (a code may word its message differently where it is raised)."""
    trees = _trees()
    classes = _error_classes(trees)
    found: dict[tuple[str, int], str] = {}

    def add(code: str | None, status: int | None, message: str | None) -> None:
        if code and status:
            found.setdefault((code, status), message or "")

    for attributes in classes.values():
        add(attributes.get("code"), attributes.get("status"), attributes.get("message"))
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "HTTP_CODES"
                                                    for t in node.targets) and isinstance(node.value, ast.Dict):
                for key, value in zip(node.value.keys, node.value.values):
                    if isinstance(value, ast.Tuple) and len(value.elts) == 2:
                        add(_text(value.elts[0]), _int(key), _text(value.elts[1]))
            if not isinstance(node, ast.Call):
                continue
            keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg}
            func = node.func
            if isinstance(func, ast.Name) and func.id == "error_response" and len(node.args) >= 3:
                add(_text(node.args[0]), _int(node.args[2]), _text(node.args[1]))
                continue
            if isinstance(func, ast.Name) and func.id in classes:
                defaults, message_arg = classes[func.id], node.args[0] if node.args else keywords.get("message")
            elif isinstance(func, ast.Attribute) and func.attr == "field" and isinstance(func.value, ast.Name) \
                    and func.value.id in classes:
                defaults = classes[func.value.id]
                message_arg = node.args[1] if len(node.args) > 1 else keywords.get("message")
            else:
                continue
            if "code" not in keywords:
                continue
            status = _int(keywords.get("status")) or defaults.get("status")
            add(_text(keywords["code"]), status, _text(message_arg) or defaults.get("message"))
    return [{"code": code, "status": status, "message": message}
            for (code, status), message in sorted(found.items())]


def markdown_table() -> str:
    """The catalogue as a Markdown table, for the OpenAPI documents' description."""
    rows = [f"| `{entry['code']}` | {entry['status']} | {entry['message']} |" for entry in catalogue()]
    return "\n".join(["| 错误码 | HTTP 状态 | 说明 |", "| --- | --- | --- |", *rows])
