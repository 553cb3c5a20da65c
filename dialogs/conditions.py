"""`when` conditions: a small, safe subset of Python expressions over earlier answers.

Allowed: `step == 'value'`, `step != 'value'`, `step in ['a', 'b']`, `'value' in multi_step`,
`and`, `or`, `not`, parentheses. Conditions are parsed once, when the flow is loaded, so a typo
stops the bot at start instead of surprising a reporter mid-conversation.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

Answers = Mapping[str, object]
Predicate = Callable[[Answers], bool]


class ConditionError(ValueError):
    """A condition that cannot be understood; the message says why."""


@dataclass(frozen=True)
class Condition:
    source: str
    references: frozenset[tuple[str, str | None]]  # (step id, compared value or None)
    evaluate: Predicate
    # How each step is used, so the loader can refuse a use its kind of answer never matches:
    # `'v' in step` needs a list (a multi-choice); ==, != and `in [...]` need a single value.
    members: frozenset[str] = frozenset()
    compared: frozenset[str] = frozenset()


def parse_condition(source: str) -> Condition:
    """Parse `source`; raise ConditionError naming what is not allowed."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        raise ConditionError(f"cannot parse {source!r}: {error.msg}") from None
    refs = _Refs()
    predicate = _compile(tree.body, refs)
    return Condition(
        source=source,
        references=frozenset(refs.values),
        evaluate=predicate,
        members=frozenset(refs.members),
        compared=frozenset(refs.compared),
    )


@dataclass
class _Refs:
    values: set[tuple[str, str | None]] = field(default_factory=set)
    members: set[str] = field(default_factory=set)
    compared: set[str] = field(default_factory=set)


def _compile(node: ast.expr, refs: _Refs) -> Predicate:
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


def _compile_compare(left: ast.expr, op: ast.cmpop, right: ast.expr, refs: _Refs) -> Predicate:
    # 'value' in multi_step: membership of a value in a multi-choice answer.
    if isinstance(left, ast.Constant) and isinstance(right, ast.Name):
        value = _string(left)
        name = right.id
        refs.values.add((name, value))
        refs.members.add(name)
        if isinstance(op, ast.In):
            return lambda answers: _contains(answers.get(name), value)
        if isinstance(op, ast.NotIn):
            # Like `!=`: a step that was never answered makes no claim either way.
            return lambda answers: name in answers and not _contains(answers.get(name), value)
        raise ConditionError(f"use 'in' or 'not in' between {value!r} and {name}")
    if not isinstance(left, ast.Name):
        raise ConditionError(f"the left side must be a step id, not {ast.unparse(left)!r}")
    name = left.id
    if isinstance(op, ast.Eq | ast.NotEq):
        value = _string(right)
        refs.values.add((name, value))
        refs.compared.add(name)
        if isinstance(op, ast.Eq):
            return lambda answers: answers.get(name) == value
        return lambda answers: name in answers and answers.get(name) != value
    if isinstance(op, ast.In | ast.NotIn):
        if not isinstance(right, ast.List | ast.Tuple):
            raise ConditionError(f"'in' needs a list of values, like {name} in ['a', 'b']")
        values = frozenset(_string(element) for element in right.elts)
        if not values:
            raise ConditionError(f"the list after 'in' is empty; name at least one value of {name}")
        refs.values.update((name, v) for v in values)
        refs.compared.add(name)
        if isinstance(op, ast.In):
            return lambda answers: _one_of(answers.get(name), values)
        return lambda answers: name in answers and not _one_of(answers.get(name), values)
    raise ConditionError(f"operator {type(op).__name__} is not allowed; use ==, != or in")


def _string(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    raise ConditionError(f"expected a quoted value, got {ast.unparse(node)!r}")


def _one_of(answer: object, values: frozenset[str]) -> bool:
    # A list (a multi-choice answer) is never one value, and is unhashable: no TypeError here.
    return isinstance(answer, str) and answer in values


def _contains(answer: object, value: str) -> bool:
    return isinstance(answer, list) and value in answer
