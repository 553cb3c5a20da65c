"""`when` conditions: a small, safe subset of Python expressions over earlier answers.

Allowed: `step == 'value'`, `step != 'value'`, `step in ['a', 'b']`, `'value' in multi_step`,
`and`, `or`, `not`, parentheses. Conditions are parsed once, when the flow is loaded, so a typo
stops the bot at start instead of surprising a reporter mid-conversation.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Answers = Mapping[str, object]
Predicate = Callable[[Answers], bool]


class ConditionError(ValueError):
    """A condition that cannot be understood; the message says why."""


@dataclass(frozen=True)
class Condition:
    source: str
    references: frozenset[tuple[str, str | None]]  # (step id, compared value or None)
    evaluate: Predicate


def parse_condition(source: str) -> Condition:
    """Parse `source`; raise ConditionError naming what is not allowed."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        raise ConditionError(f"cannot parse {source!r}: {error.msg}") from None
    refs: set[tuple[str, str | None]] = set()
    predicate = _compile(tree.body, refs)
    return Condition(source=source, references=frozenset(refs), evaluate=predicate)


def _compile(node: ast.expr, refs: set[tuple[str, str | None]]) -> Predicate:
    if isinstance(node, ast.BoolOp):
        parts = [_compile(value, refs) for value in node.values]
        if isinstance(node.op, ast.And):
            return lambda answers: all(part(answers) for part in parts)
        return lambda answers: any(part(answers) for part in parts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _compile(node.operand, refs)
        return lambda answers: not inner(answers)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        return _compile_compare(node.left, node.ops[0], node.comparators[0], refs)
    raise ConditionError(f"not allowed here: {ast.unparse(node)!r}")


def _compile_compare(
    left: ast.expr, op: ast.cmpop, right: ast.expr, refs: set[tuple[str, str | None]]
) -> Predicate:
    # 'value' in multi_step: membership of a value in a multi-choice answer.
    if isinstance(left, ast.Constant) and isinstance(right, ast.Name):
        value = _string(left)
        name = right.id
        refs.add((name, value))
        if isinstance(op, ast.In):
            return lambda answers: _contains(answers.get(name), value)
        if isinstance(op, ast.NotIn):
            return lambda answers: not _contains(answers.get(name), value)
        raise ConditionError(f"use 'in' or 'not in' between {value!r} and {name}")
    if not isinstance(left, ast.Name):
        raise ConditionError(f"the left side must be a step id, not {ast.unparse(left)!r}")
    name = left.id
    if isinstance(op, ast.Eq | ast.NotEq):
        value = _string(right)
        refs.add((name, value))
        if isinstance(op, ast.Eq):
            return lambda answers: answers.get(name) == value
        return lambda answers: name in answers and answers.get(name) != value
    if isinstance(op, ast.In | ast.NotIn):
        if not isinstance(right, ast.List | ast.Tuple):
            raise ConditionError(f"'in' needs a list of values, like {name} in ['a', 'b']")
        values = frozenset(_string(element) for element in right.elts)
        refs.update((name, v) for v in values)
        if isinstance(op, ast.In):
            return lambda answers: answers.get(name) in values
        return lambda answers: name in answers and answers.get(name) not in values
    raise ConditionError(f"operator {type(op).__name__} is not allowed; use ==, != or in")


def _string(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    raise ConditionError(f"expected a quoted value, got {ast.unparse(node)!r}")


def _contains(answer: object, value: str) -> bool:
    return isinstance(answer, list) and value in answer
