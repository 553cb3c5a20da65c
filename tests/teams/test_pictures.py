"""Pictures in Teams: a card's image goes out as an inline image (a base64 data URI) in an
activity of its own, scaled and reduced in colours to Teams' documented limits, without losing
any of the chart's colours; what cannot be shown that way is given as its link, as before.
(The CSV beside it is offered as a file: tests/teams/test_files.py.)

The limits are written out here, not imported, so that the bot's own cannot drift past them:
pictures at most 1024 x 1024 pixels and 1 MB (learn.microsoft.com/microsoftteams/platform/bots/
how-to/conversations/conversation-messages); a message at most 100 KB as UTF-16 (.../format-
your-bot-messages, which leaves base64 images out of the count: we count them all the same).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io

from microsoft_agents.activity import Activity
from PIL import Image

from bot.audit import chart
from bot.audit.present import chart_attachment, csv_attachment
from bot.channels.teams.cards import json_size
from bot.channels.teams.files import CONSENT_CARD
from bot.channels.teams.pictures import picture_activity
from bot.channels.teams.render import render_turn
from bot.delivery.messages import Attachment, Card, Link
from bot.settings import PROJECT_ROOT
from tests.support.audit_results import synthetic

SIDE_MAX = 1024
PICTURE_BYTES_MAX = 1_000_000
MESSAGE_LIMIT = 100_000
DATA_URI = "data:image/png;base64,"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def picture_of(activity: dict) -> tuple[Image.Image, bytes]:
    (attachment,) = activity["attachments"]
    assert attachment["contentType"] == "image/png"
    png = base64.b64decode(attachment["contentUrl"].removeprefix(DATA_URI), validate=True)
    image = Image.open(io.BytesIO(png))
    image.load()
    return image, png


def test_the_chart_fits_teams_and_keeps_every_colour():
    results = synthetic(finished=37, unanswered=True)
    attachment = chart_attachment(results)
    activity = picture_activity(attachment)
    assert activity is not None
    image, png = picture_of(activity)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "audit-chart-teams.png").write_bytes(png)
    assert image.format == "PNG" and image.width <= SIDE_MAX and image.height <= SIDE_MAX
    assert image.width >= 640 and abs(image.width / image.height - 1200 / 840) < 0.01  # uncut
    assert len(png) <= PICTURE_BYTES_MAX
    assert json_size(activity) <= MESSAGE_LIMIT - 2_000  # room for what the handler adds
    assert len(attachment.data) > len(png) * 2  # it had to shrink: the original cannot go
    colours = {colour for _, colour in image.convert("RGB").getcolors() or []}
    assert len(colours) <= 16
    for kept in (chart.YES_FILL, chart.NO_FILL, chart.NO_HATCH, chart.UNANSWERED_FILL):
        assert kept in colours  # the bars, the hatching and "not answered"
    for kept in (chart.STRIPE, chart.GRID, chart.INK, chart.WHITE):
        assert kept in colours  # the row stripes, the grid and the text
    assert activity["summary"] == "Chart: staff online-safety self-audit 2026-27"
    assert activity["attachments"][0]["name"] == "online-safety-audit-2026-27.png"
    assert Activity.model_validate(activity).attachments  # the SDK takes it as it is
    assert picture_activity(attachment) == activity  # pure: the same bytes, the same JSON


def test_a_tall_chart_is_scaled_to_fit_its_height_too():
    results = synthetic(finished=12)
    many = tuple(
        dataclasses.replace(count, number=n) for n, count in enumerate(results.counts * 2, start=1)
    )
    tall = dataclasses.replace(results, counts=many)  # 16 questions: 1,480 pixels tall
    assert chart.chart_size(tall)[1] > SIDE_MAX
    activity = picture_activity(chart_attachment(tall))
    assert activity is not None
    image, png = picture_of(activity)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "audit-chart-teams-16-questions.png").write_bytes(png)
    assert image.height <= SIDE_MAX and image.width <= SIDE_MAX
    assert json_size(activity) <= MESSAGE_LIMIT - 2_000


def test_a_picture_that_cannot_fit_says_so():
    noise = Image.frombytes("RGB", (500, 500), hashlib.shake_256(b"noise").digest(750_000))
    out = io.BytesIO()
    noise.save(out, format="PNG")
    big = Attachment(
        "noise.png", "image/png", out.getvalue(), "Noise", link=Link("The noise", "/noise.png")
    )
    assert picture_activity(big) is None
    assert picture_activity(dataclasses.replace(big, data=b"not a png")) is None
    (activity,) = render_turn([Card("c", "A card", attachments=(big,))])
    assert "Noise: too large to show in Teams" in str(activity)
    assert "/noise.png" not in str(activity)  # a path Teams cannot open is no help


def test_a_card_is_followed_by_its_picture_then_the_offer_of_its_csv():
    results = synthetic(finished=5)
    chart_file, sheet = chart_attachment(results), csv_attachment(results)
    card = Card("audit-results-7", "Results", attachments=(chart_file, sheet))
    after = Card("audit-needs-7", "Training needs")
    card_activity, picture, offer, needs = render_turn([card, after], files=True)
    text = str(card_activity)
    assert "/api/audit/7/results.csv" not in text  # offered to save instead (files.py)
    assert "/api/audit/7/chart.png" not in text  # the chart itself follows instead
    assert offer["attachments"][0]["contentType"] == CONSENT_CARD
    assert "Training needs" in str(needs)
    image, _ = picture_of(picture)
    assert image.format == "PNG"
    assert picture_activity(sheet) is None  # a CSV is never shown as a picture
    assert "Everyone" not in str(picture) and sheet.data.decode("utf-8")[1:5] == "Name"
    # Without TEAMS_FILES the CSV is not offered, and the card says why.
    card_activity, picture, needs = render_turn([card, after])
    assert "not set up to send files in Teams" in str(card_activity)
    assert CONSENT_CARD not in str([card_activity, picture, needs])
