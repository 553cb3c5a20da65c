"""Build the Teams app package: dist/teams-app.zip, the file a Teams administrator uploads.

    TEAMS_APP_ID=<the Azure Bot's Microsoft App ID> .venv/bin/python manifest/teams/build_package.py
    (or: make teams-package)

The package is a zip holding exactly three files at its root: manifest.json (this folder's
template, with every "${{TEAMS_APP_ID}}" replaced by the app id, so the app's `id` and the bot's
`botId` are the same GUID), color.png and outline.png. `--output PATH` writes it somewhere else.

TEAMS_FILES=true builds it with `supportsFiles` on, so the bot can offer the DSL the self-audit's
CSV to save to OneDrive (the bot needs TEAMS_FILES=true as well). It is off by default because
it also gives staff an attach button in the bot's chat, and Teams saves whatever they attach in
their own OneDrive before the bot can refuse it: not where a pupil's image should end up.

TEAMS_APP_ID must be set and be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx). If it is missing
or malformed, or the template is broken, the script says why on stderr, exits with status 2 and
writes nothing. The zip is reproducible: the same inputs give the same bytes.

Standard library only, so it runs before (or without) the bot's own dependencies.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_OUTPUT = ROOT / "dist" / "teams-app.zip"
PLACEHOLDER = "${{TEAMS_APP_ID}}"
ICONS = ("color.png", "outline.png")
GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
# The template's developer section ships with these; the school replaces them with its own.
EXAMPLE_DOMAIN = "yourschool.example"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # a fixed time stamp, so the zip does not change between builds


class PackageError(Exception):
    """Why no package can be built: one line for the person running the build."""


def app_id_from(environ: Mapping[str, str]) -> str:
    """TEAMS_APP_ID, checked to be a GUID (surrounding spaces removed)."""
    value = environ.get("TEAMS_APP_ID", "").strip()
    if not value:
        raise PackageError(
            "TEAMS_APP_ID is not set. Set it to your Azure Bot's Microsoft App ID (a GUID such "
            "as 00000000-0000-0000-0000-000000000000), e.g. TEAMS_APP_ID=... make teams-package"
        )
    if not GUID.fullmatch(value):
        raise PackageError(
            f"TEAMS_APP_ID is not a GUID: {value!r}. It must look like "
            "00000000-0000-0000-0000-000000000000 (the Azure Bot's Microsoft App ID)."
        )
    return value


def files_from(environ: Mapping[str, str]) -> bool:
    """TEAMS_FILES: true/1/yes or false/0/no (unset: false), as the bot reads it."""
    value = environ.get("TEAMS_FILES", "").strip().lower()
    if value in {"", "false", "0", "no", "off"}:
        return False
    if value in {"true", "1", "yes", "on"}:
        return True
    raise PackageError(f"TEAMS_FILES must be true or false, not {value!r}.")


def render_manifest(template: str, app_id: str, *, files: bool = False) -> bytes:
    """The template with the app id filled in, checked to be JSON with nothing left to fill,
    and the bot's supportsFiles set to `files`."""
    text = template.replace(PLACEHOLDER, app_id)
    if "${{" in text:
        raise PackageError("manifest.json has a ${{...}} placeholder this script does not fill.")
    try:
        manifest: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise PackageError(f"manifest.json is not valid JSON: {error}") from error
    bot_ids = [bot.get("botId") for bot in manifest.get("bots", [])]
    if manifest.get("id") != app_id or bot_ids != [app_id]:
        raise PackageError(f"manifest.json must use {PLACEHOLDER} for both id and bots[0].botId.")
    manifest["bots"][0]["supportsFiles"] = files
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def build(app_id: str, output: Path, source: Path = HERE, *, files: bool = False) -> list[str]:
    """Write the package to `output` (atomically) and return warnings for the person building."""
    template = (source / "manifest.json").read_text(encoding="utf-8")
    manifest = render_manifest(template, app_id, files=files)
    icons = {name: source / name for name in ICONS}
    for name, path in icons.items():
        if not path.is_file():
            raise PackageError(f"{name} is missing from {source}.")
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=".teams-app-", suffix=".zip")
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as package:
            for name, data in (("manifest.json", manifest), *_read(icons)):
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                package.writestr(info, data)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    warnings: list[str] = []
    if EXAMPLE_DOMAIN in manifest.decode("utf-8"):
        warnings.append(
            "manifest.json still has the example developer details (Your school, "
            f"{EXAMPLE_DOMAIN}): Teams shows them on the app's page. Put your school's name, "
            "website and privacy notice in manifest/teams/manifest.json and build again."
        )
    return warnings


def _read(icons: dict[str, Path]) -> list[tuple[str, bytes]]:
    return [(name, path.read_bytes()) for name, path in icons.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"where to write the zip (default: {DEFAULT_OUTPUT.relative_to(ROOT)})",
    )
    args = parser.parse_args(argv)
    try:
        app_id = app_id_from(os.environ)
        files = files_from(os.environ)
        warnings = build(app_id, args.output, files=files)
    except PackageError as error:
        print(f"teams-package: {error}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"teams-package: warning: {warning}", file=sys.stderr)
    sending = "on" if files else "off (TEAMS_FILES=true to offer the self-audit's CSV)"
    print(f"wrote {args.output} (Teams app id {app_id}; files {sending})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
