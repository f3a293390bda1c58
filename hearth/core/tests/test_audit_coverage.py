"""Architecture: no service ignores its actor (issue #10 item 7, PP-7 / PP-10).

Every public function with a keyword-only ``actor`` parameter, in any module of Hearth, must
write an audit row: call ``audit.record`` directly, or call a function of the same module that
does (followed transitively). A function that legitimately writes none is listed in
``EXEMPT`` with a one-line reason (the email-proof linkers, whose actor is their positional
``user``, are held to the same rule in ``hearth/privacy/tests/test_linker_audit.py``). No ``actor``
annotation anywhere may be ``Any`` (or ``object``): STYLE.md types the actor.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import hearth

ROOT = Path(hearth.__file__).parent

pytestmark = [pytest.mark.promise("PP-10"), pytest.mark.promise("PP-7")]

#: "module:function" -> why it writes no audit row of its own.
EXEMPT: dict[str, str] = {
    "hearth.core.audit:record": "the audit writer itself",
    "hearth.accounts.services:request_email_change": (
        "changes nothing until the link is followed; verify_email records the change"
    ),
    "hearth.comms.services:queue_email": (
        "queues an outbound message (the outbox row is the record); changes no personal data"
    ),
    "hearth.comms.services:queue_message": "delegates to queue_email",
    "hearth.privacy.listeners:notify": (
        "dispatches to the consent listeners, each of which records (follow_usage_consent)"
    ),
    "hearth.aftersales.refunds:mark_refund_due": (
        "moves the RMA through aftersales.services.move, which records the state change"
    ),
    "hearth.aftersales.refunds:refund_due_on_inspection": "calls mark_refund_due (see above)",
    "hearth.aftersales.receiving:close_hold": (
        "moves the RMA through services.move, which records; care.services.close records the case"
    ),
    "hearth.aftersales.links:open_hold_case": "care.services.open_case records the case it opens",
    "hearth.aftersales.links:close_hold_case": "care.services.close records the case it closes",
    "hearth.aftersales.refunds:refund_rma": (
        "orders.credit.refund_return records the money and the credit note; services.move the state"
    ),
}


@dataclass
class _Module:
    name: str
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    imports_record: bool = False


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> list[tuple[_Module, ast.Module]]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if {"tests", "migrations"} & set(path.relative_to(ROOT).parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        module = _Module(_module_name(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "hearth.core.audit":
                module.imports_record |= any(alias.name == "record" for alias in node.names)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                module.functions[node.name] = node
        found.append((module, tree))
    return found


def _calls(node: ast.AST, module: _Module) -> tuple[bool, set[str]]:
    """Whether ``node`` calls audit.record itself, and the module functions it calls."""
    records = False
    called: set[str] = set()
    for inner in ast.walk(node):
        if not isinstance(inner, ast.Call):
            continue
        target = inner.func
        if isinstance(target, ast.Attribute) and target.attr == "record":
            if isinstance(target.value, ast.Name) and target.value.id == "audit":
                records = True
        elif isinstance(target, ast.Name):
            if target.id == "record" and module.imports_record:
                records = True
            elif target.id in module.functions:
                called.add(target.id)
    return records, called


def records(module: _Module, name: str, seen: frozenset[str] = frozenset()) -> bool:
    if name in seen:
        return False
    direct, called = _calls(module.functions[name], module)
    return direct or any(records(module, other, seen | {name}) for other in called)


def _keyword_actor(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(arg.arg == "actor" for arg in node.args.kwonlyargs)


MODULES = _modules()


def test_every_public_function_taking_an_actor_records_an_audit_row_or_is_exempt():
    ignoring = []
    for module, _tree in MODULES:
        for name, node in module.functions.items():
            if name.startswith("_") or not _keyword_actor(node):
                continue
            key = f"{module.name}:{name}"
            if key in EXEMPT:
                continue
            if not records(module, name):
                ignoring.append(key)
    assert ignoring == [], (
        "these take an actor but write no audit row: call hearth.core.audit.record, "
        f"or add them to EXEMPT with a reason: {ignoring}"
    )


def test_every_exemption_names_a_real_actor_taking_function_with_a_reason():
    known = {
        f"{module.name}:{name}"
        for module, _tree in MODULES
        for name, node in module.functions.items()
        if _keyword_actor(node)
    }
    assert sorted(set(EXEMPT) - known) == []
    assert all(reason.strip() for reason in EXEMPT.values())


def test_no_actor_annotation_is_any_or_object():
    loose = []
    for module, tree in MODULES:
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            arguments = node.args
            for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
                if arg.arg != "actor":
                    continue
                annotation = ast.unparse(arg.annotation) if arg.annotation else "<none>"
                words = set(annotation.replace("|", " ").replace(".", " ").split())
                if annotation == "<none>" or words & {"Any", "object"}:
                    loose.append(f"{module.name}:{node.name} actor: {annotation}")
    assert loose == []


def test_the_scanner_catches_a_service_that_ignores_its_actor():
    source = (
        "from hearth.core import audit\n"
        "def helper(*, actor):\n"
        "    audit.record(actor=actor, action='x', obj=None)\n"
        "def wired(*, thing, actor):\n"
        "    helper(actor=actor)\n"
        "def ignoring(*, thing, actor):\n"
        "    del actor\n"
    )
    tree = ast.parse(source)
    module = _Module("fake")
    module.functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert records(module, "helper") is True
    assert records(module, "wired") is True
    assert records(module, "ignoring") is False
