"""Draw the web chat's app icons (the installed Progressive Web App's, on a phone's home screen):

    .venv/bin/python scripts/make_web_icons.py

writes bot/channels/web/static/icon-192.png and icon-512.png (the committed PNGs are its
output). They are the Teams app's colour icon (manifest/teams/make_icons.py: a white shield with
a tick on the accent colour, to every edge) drawn at the two sizes a web app manifest asks for,
so the school sees one picture for the bot wherever it meets it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "bot" / "channels" / "web" / "static"
SIZES = (192, 512)


def _teams_icons() -> ModuleType:
    """manifest/teams/make_icons.py, loaded by path (manifest/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "make_icons", ROOT / "manifest/teams/make_icons.py"
    )
    if spec is None or spec.loader is None:
        raise SystemExit("manifest/teams/make_icons.py is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    icons = _teams_icons()
    for size in SIZES:
        path = STATIC / f"icon-{size}.png"
        path.write_bytes(icons.png_bytes(icons.color_icon(size)))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
