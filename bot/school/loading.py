"""Reading the school configuration file and turning its problems into plain English.

Used by `bot.school.config`; kept apart so that module stays about what the configuration *is*.
Every problem becomes one line `<file>: <field>: <what is wrong>`, with no tracebacks,
no pydantic wording and no links, because the reader is the school's IT person.
"""

import difflib
import inspect
import re
from collections.abc import Hashable, Sequence
from datetime import time
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

Loc = tuple[int | str, ...]

# Field names whose allowed values are listed in "'x' is not <noun>; use one of ..." messages.
_NOUNS = {"roles": "a role", "days": "a day"}


class SchoolConfigError(Exception):
    """The school configuration file cannot be used. `str(error)` is the message to show."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)  # each "<field>: <what is wrong>", without the file name
        super().__init__("\n".join(f"{path}: {problem}" for problem in self.problems))


class FieldProblem(ValueError):
    """Raised by a validator to point at a field below the one it checks (e.g. `(3, "email")`)."""

    def __init__(self, where: Loc, message: str) -> None:
        super().__init__(message)
        self.where = where


class _Loader(yaml.SafeLoader):
    """Safe YAML with two changes for hand-written config files: `16:30` stays text (YAML 1.1
    reads it as the base-60 number 990), and a key given twice in one section is an error
    instead of the last one silently winning."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"{key_node.value!r} is given twice", key_node.start_mark
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep)


_INT_WITHOUT_BASE_60 = re.compile(
    r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"
)
_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, _INT_WITHOUT_BASE_60 if tag == "tag:yaml.org,2002:int" else regexp)
        for tag, regexp in resolvers
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


_HH_MM = re.compile(r"(\d{1,2}):(\d\d)")


def hh_mm(value: object, *, example: str) -> object:
    """A time of day as the school file writes it ("08:30", 24-hour) for a field validator:
    a `time` as it is, anything else refused with how to write it (`example`)."""
    if isinstance(value, time):
        return value
    found = _HH_MM.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None or int(found[1]) > 23 or int(found[2]) > 59:
        raise ValueError(f"{value!r} is not a time; write it as HH:MM (24-hour), e.g. {example}")
    return time(int(found[1]), int(found[2]))


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """The file's top-level mapping, or `SchoolConfigError` saying why there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchoolConfigError(
            path, ["file not found; copy config/school.example.yaml to it and fill it in"]
        ) from None
    except UnicodeDecodeError:
        raise SchoolConfigError(path, ["the file is not UTF-8 text; save it as UTF-8"]) from None
    except OSError as exc:
        raise SchoolConfigError(path, [f"cannot read the file ({exc.strerror or exc})"]) from None
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise SchoolConfigError(path, [_yaml_problem(exc)]) from None
    finally:
        loader.dispose()
    if data is None:
        raise SchoolConfigError(path, ["the file is empty; start from config/school.example.yaml"])
    if not isinstance(data, dict):
        found = _kind(data)
        problem = f"the top level must be 'key: value' lines (name:, timezone:, ...), not {found}"
        raise SchoolConfigError(path, [problem])
    return data


def describe_validation_error(
    path: Path, error: ValidationError, root: type[BaseModel]
) -> SchoolConfigError:
    """One line per problem pydantic found, in the file's own terms."""
    lines = []
    for detail in error.errors(include_url=False):
        loc, message = _describe(detail, root)
        lines.append(f"{_dotted(loc)}: {message}")
    return SchoolConfigError(path, lines)


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    if "'\\t'" in problem:
        hint = "; indent with spaces, not tabs"
    elif isinstance(error, yaml.constructor.ConstructorError):
        hint = ""
    else:
        hint = "; check the indentation and quoting there"
    return f"{where}not valid YAML ({problem}){hint}"


def _describe(detail: ErrorDetails, root: type[BaseModel]) -> tuple[Loc, str]:
    loc: Loc = tuple(detail["loc"])
    kind, value, ctx = detail["type"], detail.get("input"), detail.get("ctx", {})
    if kind == "value_error":
        problem = ctx.get("error")
        if isinstance(problem, FieldProblem):
            return loc + problem.where, str(problem)
        return loc, str(problem) if problem is not None else detail["msg"]
    if kind == "missing":
        return loc, "missing; this field is required"
    if kind == "extra_forbidden":
        return loc, _unknown_field(root, loc)
    if value is None:
        return loc, "has no value; fill it in"
    if kind in ("enum", "literal_error"):
        noun = _NOUNS.get(next((p for p in reversed(loc) if isinstance(p, str)), ""), "allowed")
        choices = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return loc, f"{value!r} is not {noun}; use one of {choices}"
    if kind == "string_too_short":
        return loc, "must not be empty"
    if kind == "too_short":
        return loc, f"needs at least {ctx.get('min_length', 1)} entry"
    if kind == "string_type":
        return loc, f"must be text, not {_kind(value)}"
    if kind in ("list_type", "tuple_type"):
        return loc, f"must be a list (lines starting with '- '), not {_kind(value)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return loc, f"must be a section of 'key: value' lines, not {_kind(value)}"
    message = detail["msg"]
    return loc, message[:1].lower() + message[1:]


def _unknown_field(root: type[BaseModel], loc: Loc) -> str:
    known = _fields_at(root, loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    if close:
        return f"unknown field; did you mean {close[0]}?"
    return f"unknown field; the fields here are {', '.join(known)}" if known else "unknown field"


def _fields_at(root: type[BaseModel], loc: Loc) -> list[str]:
    model: type[BaseModel] | None = root
    for part in loc:
        if model is None:
            return []
        if isinstance(part, str):
            field = model.model_fields.get(part)
            model = _model_in(field.annotation) if field is not None else None
    return list(model.model_fields) if model is not None else []


def _model_in(annotation: object) -> type[BaseModel] | None:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        if (found := _model_in(arg)) is not None:
            return found
    return None


def _dotted(loc: Loc) -> str:
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return text.removeprefix(".") or "top level"


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a section of 'key: value' lines"
    return type(value).__name__
