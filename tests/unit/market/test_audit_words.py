"""One place maps every audit action to a sentence: an action written anywhere in the code without one fails."""

from __future__ import annotations

import ast
from pathlib import Path

from market.audit_words import ACTIONS

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("market", "catalog", "orders", "payments", "vendors")


def actions_written() -> dict[str, str]:
    """Every action given to `audit(session, actor, ACTION, ...)` in the code: action -> where."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
                        == "audit" and len(node.args) >= 3):
                    continue
                action = node.args[2]
                values = [action.body, action.orelse] if isinstance(action, ast.IfExp) else [action]
                for value in values:
                    assert isinstance(value, ast.Constant), f"{path}:{node.lineno}: write the action as a literal"
                    found[value.value] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_every_audit_action_in_the_code_has_a_sentence():
    written = actions_written()
    assert {"view_members", "view_member", "approve_wholesaler", "reject_wholesaler"} <= set(written)
    missing = {action: where for action, where in written.items() if action not in ACTIONS}
    assert missing == {}, "give each a sentence in market/audit_words.py ACTIONS"


def test_every_sentence_names_who_and_every_action_has_a_label():
    for code, action in ACTIONS.items():
        assert "%(who)s" in action.sentence._args[0] or code == "erase_account", code
        assert action.label._args[0], code
