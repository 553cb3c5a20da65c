"""`when` conditions: what they allow, how they read unanswered steps, and what they refuse."""

from __future__ import annotations

from typing import Any

import pytest

from dialogs.conditions import ConditionError, parse_condition


@pytest.mark.parametrize(
    ("source", "answers", "expected"),
    [
        # ==
        ("category == 'image'", {"category": "image"}, True),
        ("category == 'image'", {"category": "content"}, False),
        ("category == 'image'", {}, False),
        ("category == 'image'", {"category": None}, False),
        ("category == 'image'", {"category": ["image"]}, False),
        # !=: an unanswered step makes no claim, a skipped one (None) differs from the value.
        ("category != 'image'", {"category": "content"}, True),
        ("category != 'image'", {"category": "image"}, False),
        ("category != 'image'", {}, False),
        ("category != 'image'", {"other": "image"}, False),
        ("category != 'image'", {"category": None}, True),
        # in [...] / in (...)
        ("problem in ['bypass', 'monitoring']", {"problem": "bypass"}, True),
        ("problem in ['bypass', 'monitoring']", {"problem": "monitoring"}, True),
        ("problem in ['bypass', 'monitoring']", {"problem": "over_blocked"}, False),
        ("problem in ['bypass', 'monitoring']", {}, False),
        ("problem in ['bypass', 'monitoring']", {"problem": None}, False),
        ("problem in ('bypass', 'monitoring')", {"problem": "bypass"}, True),
        # a multi-choice answer (a list) is not one of the values, and must not raise TypeError
        ("problem in ['bypass']", {"problem": ["bypass"]}, False),
        # not in [...]
        ("problem not in ['bypass', 'monitoring']", {"problem": "over_blocked"}, True),
        ("problem not in ['bypass', 'monitoring']", {"problem": "bypass"}, False),
        ("problem not in ['bypass', 'monitoring']", {}, False),
        # 'value' in multi
        ("'sextortion' in indicators", {"indicators": ["coercion", "sextortion"]}, True),
        ("'sextortion' in indicators", {"indicators": ["coercion"]}, False),
        ("'sextortion' in indicators", {"indicators": []}, False),
        ("'sextortion' in indicators", {"indicators": None}, False),
        ("'sextortion' in indicators", {}, False),
        ("'sextortion' in indicators", {"indicators": "sextortion"}, False),  # not a list
        ("'sex' in indicators", {"indicators": ["sextortion"]}, False),  # no substring match
        # 'value' not in multi: unanswered makes no claim (like !=), skipped means "none chosen"
        ("'sextortion' not in indicators", {"indicators": ["coercion"]}, True),
        ("'sextortion' not in indicators", {"indicators": ["sextortion"]}, False),
        ("'sextortion' not in indicators", {"indicators": []}, True),
        ("'sextortion' not in indicators", {"indicators": None}, True),
        ("'sextortion' not in indicators", {}, False),
        # and / or / not / parentheses
        ("a == 'x' and b == 'y'", {"a": "x", "b": "y"}, True),
        ("a == 'x' and b == 'y'", {"a": "x", "b": "z"}, False),
        ("a == 'x' and b == 'y'", {"a": "x"}, False),
        ("a == 'x' or b == 'y'", {"a": "z", "b": "y"}, True),
        ("a == 'x' or b == 'y'", {"a": "z", "b": "z"}, False),
        ("a == 'x' or b == 'y'", {}, False),
        ("a == 'x' and b == 'y' and c == 'z'", {"a": "x", "b": "y", "c": "z"}, True),
        ("a == 'x' and b == 'y' and c == 'z'", {"a": "x", "b": "y", "c": "q"}, False),
        ("not a == 'x'", {"a": "x"}, False),
        ("not a == 'x'", {"a": "y"}, True),
        ("not a == 'x'", {}, True),
        ("not (a == 'x' or b == 'y')", {"a": "q", "b": "y"}, False),
        ("not (a == 'x' or b == 'y')", {"a": "q", "b": "q"}, True),
        ("a == 'x' and (b == 'y' or b == 'z')", {"a": "x", "b": "z"}, True),
        ("a == 'x' and (b == 'y' or b == 'z')", {"a": "q", "b": "z"}, False),
        ("a == 'x' and b == 'y' or b == 'z'", {"a": "q", "b": "z"}, True),  # and binds tighter
        ("'p' in m and a != 'x'", {"m": ["p"], "a": "y"}, True),
        ("'p' in m and a != 'x'", {"m": ["p"], "a": "x"}, False),
        # whitespace and newlines around and inside (YAML block scalars)
        ("  a == 'x'  ", {"a": "x"}, True),
        ("(a == 'x'\n or a == 'y')", {"a": "y"}, True),
        ('a == "x"', {"a": "x"}, True),
    ],
)
def test_evaluates(source: str, answers: dict[str, Any], expected: bool) -> None:
    assert parse_condition(source).evaluate(answers) is expected


def test_keeps_its_source_and_names_every_step_and_value_it_reads() -> None:
    source = "a == 'x' and ('v' in m or b in ['p', 'q']) and not c != 'r'"
    condition = parse_condition(source)
    assert condition.source == source
    assert condition.references == {("a", "x"), ("m", "v"), ("b", "p"), ("b", "q"), ("c", "r")}
    assert condition.members == {"m"}
    assert condition.compared == {"a", "b", "c"}


def test_conditions_do_not_share_state() -> None:
    first = parse_condition("a == 'x'")
    second = parse_condition("b == 'y'")
    assert first.evaluate({"a": "x"}) is True
    assert second.evaluate({"a": "x"}) is False
    assert second.evaluate({"b": "y"}) is True
    assert first.evaluate({"b": "y"}) is False


def test_does_not_change_the_answers() -> None:
    answers: dict[str, Any] = {"m": ["p"], "a": "x"}
    parse_condition("'p' in m and a == 'x'").evaluate(answers)
    assert answers == {"m": ["p"], "a": "x"}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        # function calls
        ("f()", "not allowed here: 'f()'"),
        ("len(a) == 'x'", "the left side must be a step id, not 'len(a)'"),
        ("a == str(1)", "expected a quoted value, got 'str(1)'"),
        ("__import__('os').system('ls')", "not allowed here: \"__import__('os').system('ls')\""),
        # attribute access
        ("a.b == 'x'", "the left side must be a step id, not 'a.b'"),
        ("a == b.c", "expected a quoted value, got 'b.c'"),
        ("'x' in a.b", "the left side must be a step id"),
        # subscripts
        ("a[0] == 'x'", "the left side must be a step id, not 'a[0]'"),
        # numbers and other non-string constants
        ("a == 1", "expected a quoted value, got '1'"),
        ("a != 2.5", "expected a quoted value, got '2.5'"),
        ("a == True", "expected a quoted value, got 'True'"),
        ("a == None", "expected a quoted value, got 'None'"),
        ("a == b'x'", "expected a quoted value, got \"b'x'\""),
        ("1 in a", "expected a quoted value, got '1'"),
        ("a in ['x', 1]", "expected a quoted value, got '1'"),
        ("a in ['x', None]", "expected a quoted value, got 'None'"),
        # comparing two steps, or building a value
        ("a == b", "expected a quoted value, got 'b'"),
        ("a == 'x' + 'y'", "expected a quoted value, got \"'x' + 'y'\""),
        ("a == f'{b}'", "expected a quoted value"),
        # a constant on the left that is not membership
        ("'x' == a", "use 'in' or 'not in' between 'x' and a"),
        ("'x' in 'xyz'", "the left side must be a step id, not \"'x'\""),
        # chained comparisons
        ("a == 'x' == 'y'", "not allowed here: \"a == 'x' == 'y'\""),
        ("'x' in a in ['y']", "not allowed here"),
        # other operators
        ("a < 'x'", "operator Lt is not allowed; use ==, != or in"),
        ("a >= 'x'", "operator GtE is not allowed; use ==, != or in"),
        ("a is None", "operator Is is not allowed; use ==, != or in"),
        ("a is not None", "operator IsNot is not allowed; use ==, != or in"),
        ("'x' < a", "use 'in' or 'not in' between 'x' and a"),
        # 'in' needs a non-empty list
        ("a in 'xyz'", "'in' needs a list of values, like a in ['a', 'b']"),
        ("a in b", "'in' needs a list of values"),
        ("a in {'x', 'y'}", "'in' needs a list of values"),
        ("a in []", "the list after 'in' is empty"),
        ("a not in ()", "the list after 'in' is empty"),
        # not a comparison at all
        ("a", "not allowed here: 'a'"),
        ("'x'", "not allowed here: \"'x'\""),
        ("True", "not allowed here: 'True'"),
        ("a == 'x' and b", "not allowed here: 'b'"),
        ("not a", "not allowed here: 'a'"),
        ("a == 'x' if b == 'y' else a == 'z'", "not allowed here"),
        ("lambda: a == 'x'", "not allowed here"),
        ("[a == 'x' for a in b]", "not allowed here"),
        ("(a := 'x') == 'x'", "the left side must be a step id"),
        ("-a == 'x'", "the left side must be a step id, not '-a'"),
        ("~(a == 'x')", "not allowed here"),
        # syntax errors
        ("", "cannot parse ''"),
        ("   ", "cannot parse"),
        ("a == 'x' and", "cannot parse \"a == 'x' and\""),
        ("a = 'x'", "cannot parse"),
        ("a == 'x", "cannot parse"),
        ("a == 'x'; b == 'y'", "cannot parse"),
        ("a === 'x'", "cannot parse"),
        ("a == 'x'\x00", "cannot parse"),
    ],
)
def test_refuses_with_a_reason(source: str, message: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition(source)
    assert message in str(caught.value)


def test_a_condition_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not allowed here"):
        parse_condition("f()")
