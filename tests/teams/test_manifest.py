"""The Teams app package: manifest/teams/manifest.json, its two icons, and the build script.

Where the rules come from (checked when this file was written):

- The manifest's key names and limits: Microsoft's app manifest schema, version 1.30
  (https://developer.microsoft.com/json-schemas/teams/v1.30/MicrosoftTeams.schema.json), as
  published on https://learn.microsoft.com/microsoft-365/extensibility/schema/ (root, root.bots,
  root.bots.commandLists.commands). name.short <= 30, name.full <= 100, description.short <= 80,
  description.full <= 4000, developer.name <= 32, accentColor "#" and six hex digits, at most one
  bot, at most 3 command lists. A command's title and description may be 128 and 4000
  characters in the newest versions, but only 32 and 128 in older ones; the tests hold the
  manifest to the older limits so that it stays valid if it is ever lowered to an older version.
- The icons (root.icons): color.png "a full color 192x192 PNG icon"; outline.png "a transparent
  32x32 PNG outline icon. The border color must be white." Held here to: white where drawn, fully
  transparent everywhere else.
- The command titles are the words the bot's router answers to: the same words as the Slack
  `/online-safety` command (its usage hint in manifest/slack/manifest.yaml), so that choosing a
  command from the Teams menu sends exactly that word.
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEAMS = ROOT / "manifest" / "teams"
MANIFEST_PATH = TEAMS / "manifest.json"
BUILD = TEAMS / "build_package.py"
PLACEHOLDER = "${{TEAMS_APP_ID}}"
APP_ID = "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"
COMMANDS = ("report", "filtering", "cases", "my reports", "help")
HTTPS_URL = re.compile(r"https://[^\s/$.?#][^\s]*")


def load_manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    return manifest


# ---- the manifest template ----------------------------------------------------------------


def test_manifest_version_matches_its_schema() -> None:
    manifest = load_manifest()
    version = manifest["manifestVersion"]
    assert re.fullmatch(r"1\.\d+", version)
    assert manifest["$schema"] == (
        f"https://developer.microsoft.com/json-schemas/teams/v{version}/MicrosoftTeams.schema.json"
    )
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])  # semver, as Teams requires


def test_the_app_id_is_a_placeholder_in_the_app_and_the_bot() -> None:
    manifest = load_manifest()
    assert manifest["id"] == PLACEHOLDER
    assert [bot["botId"] for bot in manifest["bots"]] == [PLACEHOLDER]
    assert MANIFEST_PATH.read_text(encoding="utf-8").count("${{") == 2


def test_required_fields_and_their_limits() -> None:
    manifest = load_manifest()
    required = {"$schema", "manifestVersion", "version", "id", "developer", "name"}
    required |= {"description", "icons", "accentColor"}
    assert required <= manifest.keys()
    developer = manifest["developer"]
    assert 0 < len(developer["name"]) <= 32
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert HTTPS_URL.fullmatch(developer[key]), key
        assert len(developer[key]) <= 2048
    assert manifest["name"]["short"] == "Online Safety"
    assert len(manifest["name"]["short"]) <= 30
    assert len(manifest["name"]["full"]) <= 100
    assert 0 < len(manifest["description"]["short"]) <= 80
    assert 0 < len(manifest["description"]["full"]) <= 4000
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert re.fullmatch(r"#[0-9A-Fa-f]{6}", manifest["accentColor"])


def test_one_bot_in_the_personal_scope_only() -> None:
    (bot,) = load_manifest()["bots"]
    assert bot["scopes"] == ["personal"]
    # Off unless the package is built with TEAMS_FILES=true: Teams' file consent flow (the
    # DSL's self-audit CSV to OneDrive; "Send and receive files using bot", learn.microsoft.com/
    # microsoftteams/platform/bots/how-to/bots-filesv4) needs it, but it also gives staff an
    # attach button here, and Teams keeps what they attach in their OneDrive.
    assert bot["supportsFiles"] is False
    assert bot["isNotificationOnly"] is False
    assert load_manifest().get("validDomains", []) == []
    # Nothing that would put the bot in a team or a group chat, where others read the report.
    assert {"configurableTabs", "staticTabs", "composeExtensions"}.isdisjoint(load_manifest())


def test_command_menu_has_the_five_commands_within_limits() -> None:
    (bot,) = load_manifest()["bots"]
    (command_list,) = bot["commandLists"]
    assert command_list["scopes"] == ["personal"]
    commands = command_list["commands"]
    assert tuple(command["title"] for command in commands) == COMMANDS
    for command in commands:
        assert set(command) == {"title", "description"}
        assert 0 < len(command["title"]) <= 32
        assert 0 < len(command["description"]) <= 128


def test_command_titles_are_the_words_of_the_slack_command() -> None:
    slack = yaml.safe_load((ROOT / "manifest" / "slack" / "manifest.yaml").read_text())
    (command,) = slack["features"]["slash_commands"]
    words = tuple(word.strip() for word in command["usage_hint"].split("|"))
    assert words == COMMANDS


def test_permissions_are_the_two_known_ones() -> None:
    assert load_manifest()["permissions"] == ["identity", "messageTeamMembers"]


# ---- the icons ----------------------------------------------------------------------------


def read_png(path: Path) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Width, height and RGBA pixels (row by row) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    chunks: dict[bytes, bytes] = {}
    position = 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"{path.name}: bad CRC in {kind!r}"
        chunks[kind] = chunks.get(kind, b"") + body  # IDAT may come in several chunks
        position += 12 + length
    width, height, depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, interlace) == (8, 0), f"{path.name}: only 8-bit, non-interlaced is read here"
    assert color_type in (2, 6), f"{path.name}: only RGB and RGBA are read here"
    channels = 4 if color_type == 6 else 3
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = width * channels
    previous = bytearray(stride)
    pixels: list[tuple[int, int, int, int]] = []
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            up_left = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - up_left
                nearest = min(
                    (abs(guess - left), 0, left),
                    (abs(guess - up), 1, up),
                    (abs(guess - up_left), 2, up_left),
                )
                line[i] = (line[i] + nearest[2]) & 0xFF
            else:
                assert kind == 0, f"{path.name}: unknown filter {kind}"
        for i in range(0, stride, channels):
            alpha = line[i + 3] if channels == 4 else 255
            pixels.append((line[i], line[i + 1], line[i + 2], alpha))
        previous = line
    return width, height, pixels


def test_color_icon_is_192_square_full_colour_and_opaque() -> None:
    width, height, pixels = read_png(TEAMS / "color.png")
    assert (width, height) == (192, 192)
    assert len(pixels) == 192 * 192
    assert all(alpha == 255 for *_, alpha in pixels)  # a full-bleed background, no holes
    accent = load_manifest()["accentColor"]
    corner = "#{:02X}{:02X}{:02X}".format(*pixels[0][:3])
    assert corner == accent.upper()  # the background is the app's accent colour
    assert len({pixel[:3] for pixel in pixels}) > 2  # a glyph, not a plain square


def test_outline_icon_is_32_square_white_on_transparent() -> None:
    width, height, pixels = read_png(TEAMS / "outline.png")
    assert (width, height) == (32, 32)
    assert len(pixels) == 32 * 32
    for x_y, (r, g, b, alpha) in enumerate(pixels):
        assert alpha == 0 or (r, g, b, alpha) == (255, 255, 255, 255), divmod(x_y, 32)
    drawn = sum(alpha == 255 for *_, alpha in pixels)
    assert 0.1 < drawn / len(pixels) < 0.6  # something is drawn, and it is not a filled square


def test_png_reader_undoes_every_filter(tmp_path: Path) -> None:
    """The reader above against a PNG written with filters 1 to 4, so that an icon re-saved by an
    image editor (which picks filters per row) is still checked rather than misread."""
    width, height = 3, 5
    pixels = [
        ((x * 70) % 256, (y * 50) % 256, (x * y * 30) % 256, 255 - x * 40)
        for y in range(height)
        for x in range(width)
    ]
    rows = [bytes(v for p in pixels[y * width : (y + 1) * width] for v in p) for y in range(height)]
    raw = bytearray()
    previous = bytes(width * 4)
    for kind, line in zip((0, 1, 2, 3, 4), rows, strict=True):
        encoded = bytearray(line)
        for i in range(len(line)):
            left = line[i - 4] if i >= 4 else 0
            up, up_left = previous[i], previous[i - 4] if i >= 4 else 0
            guess = left + up - up_left
            paeth = min(
                (abs(guess - left), 0, left),
                (abs(guess - up), 1, up),
                (abs(guess - up_left), 2, up_left),
            )[2]
            predictor = {0: 0, 1: left, 2: up, 3: (left + up) // 2, 4: paeth}[kind]
            encoded[i] = (line[i] - predictor) & 0xFF
        raw += bytes([kind]) + encoded
        previous = line

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw)))
    target = tmp_path / "filters.png"
    target.write_bytes(png + chunk(b"IEND", b""))
    assert read_png(target) == (width, height, pixels)


# ---- the build script ---------------------------------------------------------------------


def run_build(
    tmp_path: Path, app_id: str | None, **extra: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    output = tmp_path / "out" / "teams-app.zip"
    env = {k: v for k, v in os.environ.items() if k not in {"TEAMS_APP_ID", "TEAMS_FILES"}}
    if app_id is not None:
        env["TEAMS_APP_ID"] = app_id
    env.update(extra)
    result = subprocess.run(
        [sys.executable, str(BUILD), "--output", str(output)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, output


def test_build_writes_the_three_files_with_the_id_filled_in(tmp_path: Path) -> None:
    result, output = run_build(tmp_path, APP_ID)
    assert result.returncode == 0, result.stderr
    assert str(output) in result.stdout
    with zipfile.ZipFile(output) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        text = package.read("manifest.json").decode("utf-8")
        assert package.read("color.png") == (TEAMS / "color.png").read_bytes()
        assert package.read("outline.png") == (TEAMS / "outline.png").read_bytes()
    assert "${{" not in text
    manifest = json.loads(text)
    assert manifest["id"] == APP_ID
    assert manifest["bots"][0]["botId"] == manifest["id"]
    # Everything else is the template as it stands.
    template = load_manifest()
    template["id"] = template["bots"][0]["botId"] = APP_ID
    assert manifest == template
    # The template's example developer details are pointed out, not silently shipped.
    assert "warning" in result.stderr
    assert "yourschool.example" in result.stderr


@pytest.mark.parametrize(("given", "supports"), [("true", True), ("1", True), ("false", False)])
def test_teams_files_turns_on_supports_files_in_the_package(
    tmp_path: Path, given: str, supports: bool
) -> None:
    result, output = run_build(tmp_path, APP_ID, TEAMS_FILES=given)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(output) as package:
        manifest = json.loads(package.read("manifest.json"))
    assert manifest["bots"][0]["supportsFiles"] is supports
    assert ("files on" if supports else "files off") in result.stdout


def test_a_bad_teams_files_value_is_refused(tmp_path: Path) -> None:
    result, output = run_build(tmp_path, APP_ID, TEAMS_FILES="maybe")
    assert result.returncode == 2 and "TEAMS_FILES must be true or false" in result.stderr
    assert not output.exists()


def test_build_is_reproducible(tmp_path: Path) -> None:
    first, output = run_build(tmp_path, APP_ID)
    once = output.read_bytes()
    second, _ = run_build(tmp_path, APP_ID)
    assert first.returncode == second.returncode == 0
    assert output.read_bytes() == once


@pytest.mark.parametrize(
    ("app_id", "message"),
    [
        (None, "TEAMS_APP_ID is not set"),
        ("", "TEAMS_APP_ID is not set"),
        ("my-bot", "TEAMS_APP_ID is not a GUID"),
        ("0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f", "TEAMS_APP_ID is not a GUID"),  # one digit short
        ("{0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9}", "TEAMS_APP_ID is not a GUID"),
        ("0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9x", "TEAMS_APP_ID is not a GUID"),
    ],
)
def test_build_refuses_a_missing_or_bad_app_id(
    tmp_path: Path, app_id: str | None, message: str
) -> None:
    result, output = run_build(tmp_path, app_id)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not output.parent.exists()  # nothing written, not even the folder
