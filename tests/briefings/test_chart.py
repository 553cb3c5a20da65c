"""A briefing's chart, like the self-audit's: confirmed and not yet, and for each check question
right and wrong (among those who answered it), as a PNG; offered with the briefing's card and
downloaded where the self-audit's chart is."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from bot.audit.use_cases import AuditUseCases, Refused
from bot.briefings import chart, exports
from bot.delivery.messages import Card
from storage.models import AuditCampaign
from tests.briefings.test_briefings import read_and_answer
from tests.support.briefings import QUESTIONS, write_briefing
from tests.support.harness import Chat

DSL, STAFF = "a.hartley@example.org", "t.brannigan@example.org"


async def test_the_chart_counts_confirmations_and_right_and_wrong_answers(make_bot):
    bot = await make_bot()
    await write_briefing(Chat(bot, DSL))
    async with bot.router.sessions() as session:
        (campaign,) = list(await session.scalars(select(AuditCampaign)))
    right = [q[1] for q in QUESTIONS]
    await read_and_answer(Chat(bot, STAFF), campaign, right)
    await read_and_answer(Chat(bot, "s.nakamura@example.org"), campaign, ["Nobody", "No"])
    async with bot.router.sessions() as session:
        results = await exports.briefing_results(session, bot.cipher, campaign.id)
    assert results is not None
    rows = chart.chart_rows(results)
    # Ten asked, two confirmed; question 1: one right, one wrong; question 2: two right.
    assert [(r.good, r.bad) for r in rows] == [(2, 8), (1, 1), (2, 0)]
    assert rows[1].label.startswith("1. ") and QUESTIONS[0][0] in rows[1].label
    png = chart.briefing_chart_png(results)
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"
    assert image.size == chart.chart_size(results)

    # Offered with the briefing's card, and downloaded as the self-audit's chart is.
    dsl = Chat(bot, DSL)
    await dsl.send("briefings")
    (card,) = [r for r in dsl.replies if isinstance(r, Card)]
    kinds = [a.media_type for a in card.attachments]
    assert kinds[0] == "image/png" and kinds[1].startswith("text/csv")
    async with bot.router.sessions() as session, session.begin():
        found = await AuditUseCases(school=bot.school, cipher=bot.cipher).results_file(
            session,
            campaign_id=campaign.id,
            actor=DSL,
            file="chart.png",
            channel=None,
            now=bot.jobs.clock(),
        )
    assert not isinstance(found, Refused)
    assert found.chart_png()[:8] == b"\x89PNG\r\n\x1a\n"
