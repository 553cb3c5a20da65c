"""Images for Teams: a card's image attachment (the self-audit's chart) shown in the chat, as
an inline image whose bytes travel in the message (a base64 data URI), since Teams cannot open
the bot's own pages.

The limits, and where they come from (checked when this file was written):

- "Pictures: Maximum 1024×1024 and 1 MB in PNG, JPEG, or GIF format" (learn.microsoft.com/
  microsoftteams/platform/bots/how-to/conversations/conversation-messages): PICTURE_SIDE_MAX
  and PICTURE_BYTES_MAX.
- "The agent message size limit is 100 KB ... encoded as UTF-16. This 100 KB size limitation
  doesn't include base64 encoded image" (.../bots/how-to/format-your-bot-messages). We count
  the image anyway: PICTURE_ACTIVITY_MAX keeps the whole activity, data URI included, within
  100 KB as UTF-16 (`json_size`), less 4 KB for the conversation, from, recipient and the rest
  that the handler and the SDK add, so it fits however a Teams service measures it.

The chart is 1,200 pixels wide and about 100 KB as drawn: too wide and too big. So it is scaled
down (to the widest of PICTURE_WIDTHS that fits) and saved as a PNG of at most PALETTE_COLOURS
colours, chosen as the picture's own most frequent ones. A chart is flat colour: its fills,
text and stripes are those colours, and only the anti-aliased edges between them move to the
nearest one (a generic quantizer merges the light greys of the stripes, the grid and the "not
answered" bars into the white, and so loses them). Pure: the same bytes always give the same
activity.
"""

from __future__ import annotations

import base64
import heapq
import io
import math

from PIL import Image

from bot.channels.teams.cards import Json, json_size, shorten
from bot.delivery.messages import Attachment

PICTURE_SIDE_MAX = 1024
PICTURE_BYTES_MAX = 1_000_000
MESSAGE_LIMIT = 100_000  # Teams' figure, as UTF-16 bytes
PICTURE_ACTIVITY_MAX = MESSAGE_LIMIT - 4_000
PICTURE_WIDTHS = (1024, 960, 896, 832, 768, 704, 640)
PALETTE_COLOURS = 16  # a 4-bit PNG
NAME_MAX = 200  # ours: the longest title or file name given with a picture


def picture_activity(attachment: Attachment) -> Json | None:
    """The message activity that shows `attachment` (an image) in the chat, within the limits
    above; None if it cannot be made to fit (or is not an image Pillow can read)."""
    image = _opened(attachment) if attachment.is_image else None
    if image is None:
        return None
    palette = _palette(image)
    ceiling = float(PICTURE_WIDTHS[0])
    tried: set[tuple[int, int]] = set()
    for width in PICTURE_WIDTHS:
        scale = min(1.0, width / image.width, PICTURE_SIDE_MAX / image.height)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        if width > ceiling or size in tried:  # a small or tall picture: one size for several
            continue
        tried.add(size)
        png = _png(image, palette, size)
        activity = _activity(attachment, png)
        cost = json_size(activity)
        if cost <= PICTURE_ACTIVITY_MAX and len(png) <= PICTURE_BYTES_MAX:
            return activity
        # A PNG's size goes roughly with its area: skip the widths that cannot fit either.
        ceiling = min(ceiling, width * math.sqrt(PICTURE_ACTIVITY_MAX / cost))
    return None


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _activity(attachment: Attachment, png: bytes) -> Json:
    """The image alone: `summary` (its title) is what a notification shows; `name` is the file
    name Teams gives it when someone saves it."""
    name = attachment.filename.rsplit(".", 1)[0][:NAME_MAX] + ".png"
    return {
        "type": "message",
        "summary": shorten(attachment.title, NAME_MAX),
        "attachments": [{"contentType": "image/png", "contentUrl": data_uri(png), "name": name}],
    }


def _opened(attachment: Attachment) -> Image.Image | None:
    try:
        with Image.open(io.BytesIO(attachment.data)) as opened:
            return opened.convert("RGB")
    except (OSError, ValueError):  # not a picture Pillow reads: shown as its link instead
        return None


def _png(image: Image.Image, palette: Image.Image, size: tuple[int, int]) -> bytes:
    resized = image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)
    few = resized.quantize(palette=palette, dither=Image.Dither.NONE)
    out = io.BytesIO()
    few.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _palette(image: Image.Image) -> Image.Image:
    """A palette image holding the picture's PALETTE_COLOURS most frequent colours."""
    counted = image.getcolors(maxcolors=image.width * image.height) or []
    most = heapq.nlargest(PALETTE_COLOURS, counted, key=lambda item: (item[0], str(item[1])))
    colours = [c for _, c in most if isinstance(c, tuple)] or [(255, 255, 255)]
    palette = Image.new("P", (1, 1))
    palette.putpalette([value for colour in colours for value in colour])
    return palette
