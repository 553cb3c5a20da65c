"""The flow a file stands for: a file that `extends:` another flow resolved into a whole flow,
and a flow written back as YAML (`python -m bot flows show`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from dialogs.errors import FlowError
from dialogs.model import FlowSpec


def extend(path: Path, raw: dict[str, Any], bases: Mapping[str, FlowSpec]) -> dict[str, Any]:
    """The flow a file with `extends: <id>` stands for: the flow it names, with the file's own
    fields, its `steps` replacing steps of the same id (whole, in place, or moved by `after` or
    `before`) or added (placed by `after: <id>` or `before: <id>`), less its `remove_steps`."""
    name = raw["extends"]
    base = bases.get(name) if isinstance(name, str) else None
    if base is None:
        known = ", ".join(sorted(bases)) or "none"
        raise FlowError(
            f"{path}: extends: there is no flow {name!r} to extend (a file extends a built-in "
            f"flow, or one from an earlier folder: {known})"
        )
    removed = raw.get("remove_steps", [])
    entries = raw.get("steps", [])
    if not isinstance(removed, list) or not all(isinstance(r, str) for r in removed):
        raise FlowError(f"{path}: remove_steps: a list of step ids, such as [where, pupils]")
    if not isinstance(entries, list):
        raise FlowError(f"{path}: steps: a list of steps, each with an id")
    steps: list[dict[str, Any]] = base.model_dump(mode="json")["steps"]
    for position, step_id in enumerate(removed):
        if not any(step["id"] == step_id for step in steps):
            raise FlowError(
                f"{path}: remove_steps[{position}]: {name!r} has no step {step_id!r} to remove"
            )
        steps = [step for step in steps if step["id"] != step_id]
    given: set[str] = set()
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise FlowError(f"{path}: steps[{position}]: each step needs an id")
        step = dict(entry)
        step_id = step["id"]
        where = f"{path}: steps[{position}] (step {step_id!r})"
        after, before = step.pop("after", None), step.pop("before", None)
        if step_id in given:
            raise FlowError(f"{where}: the step {step_id!r} is given twice in this file")
        if step_id in removed:
            raise FlowError(
                f"{where}: the step {step_id!r} is also in remove_steps; to change it, "
                "leave it out of remove_steps"
            )
        given.add(step_id)
        if after is not None and before is not None:
            raise FlowError(f"{where}: give after or before, not both")
        ids = [s["id"] for s in steps]
        if after is None and before is None:
            if step_id not in ids:
                raise FlowError(
                    f"{where}: {name!r} has no step {step_id!r}, so this is a new step: say "
                    "where it goes with after: <step id> (or before: <step id>)"
                )
            steps[ids.index(step_id)] = step
            continue
        if step_id in ids:
            del steps[ids.index(step_id)]
            ids.remove(step_id)
        anchor, field = (after, "after") if after is not None else (before, "before")
        if anchor not in ids:
            raise FlowError(f"{where}: {field}: {anchor!r} is not a step of the flow")
        steps.insert(ids.index(anchor) + (1 if field == "after" else 0), step)
    own = {k: v for k, v in raw.items() if k not in {"extends", "remove_steps", "steps"}}
    return {**base.model_dump(mode="json"), **own, "steps": steps}


def spec_yaml(spec: FlowSpec, *, source: Path) -> str:
    """A flow as YAML, its `extends:` resolved and the fields left at their defaults left out:
    a flow file that loads as this flow. A first comment names the file it came from."""
    head = f"# The flow {spec.id!r} as the bot runs it, from {source}.\n"
    return head + yaml.dump(
        spec.model_dump(mode="json", exclude_defaults=True),
        Dumper=_FlowDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )


class _FlowDumper(yaml.SafeDumper):
    """Text of several lines (guidance, notices) as a block, as the flow files write it."""

    def represent_str(self, data: str) -> yaml.ScalarNode:
        style = "|" if "\n" in data else None
        return self.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_FlowDumper.add_representer(str, _FlowDumper.represent_str)
