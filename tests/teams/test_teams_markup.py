"""What a Teams user typed is what is stored and what the DSL reads, not Teams' HTML.

Teams sends a message's text with a mention as `<at>Name</at>` (and a `mention` entity), its
formatting, links and emoji as HTML elements and its special characters as entities
(learn.microsoft.com/en-us/graph/api/resources/chatmessagemention; bot/channels/teams/markup.py).
Each test types as Teams delivers, through the real Teams adapter over loopback (a fake Bot
Connector), files the report, and reads the case as the DSL's "View" shows it.
"""

from __future__ import annotations

from typing import Any

from tests.support.walk import cyberbullying_concern
from tests.teams.concerns import answer, install_for_handlers, reports
from tests.teams.filing import walk_chat
from tests.teams.world import DSL, STAFF, TeamsWorld, settle

SENT = (
    '<p>Ask&nbsp;<at>Alice Hartley</at> about <a href="https://x.example/a">this page</a> '
    '&amp; Tom&#39;s &lt;3 <b>now</b> <emoji id="smile" alt="\U0001f604" title="Smile">'
    "</emoji></p><p>It came from www.evil.example and the file was \u202egnp.exe</p>"
)
MENTION = {
    "type": "mention",
    "text": "<at>Alice Hartley</at>",
    "mentioned": {"id": "29:alice", "name": "Alice Hartley"},
}
SEEN = (
    "Ask Alice Hartley about this page (https://x.example/a) & Tom's <3 now \U0001f604\n"
    "It came from www.evil.example and the file was \u202egnp.exe"
)


async def type_rich(world: TeamsWorld, text: str, entities: list[dict[str, Any]]) -> None:
    activity = world.activity(STAFF, type="message", text=text, textFormat="plain")
    activity["entities"] = [*activity["entities"], *entities]
    before = len(world.sent_to(STAFF))
    assert (await world.post(activity)).status in (200, 201, 202)
    await settle(world)
    assert len(world.sent_to(STAFF)) > before


async def file_with(world: TeamsWorld, text: str, entities: list[dict[str, Any]]) -> Any:
    """A concern whose "what happened" is typed as Teams sends it; the report, once alerted."""
    await install_for_handlers(world)
    await world.say(STAFF, "report")
    answers = cyberbullying_concern("typed below", "today 09:00")
    await walk_chat(world, STAFF, answers, until="what_happened")
    await type_rich(world, text, entities)
    rest = {k: v for k, v in answers.items() if k not in _asked_before(answers)}
    await walk_chat(world, STAFF, rest)
    await answer(world, STAFF, "__submit")
    await settle(world)
    (report,) = await reports(world)
    return report


def _asked_before(answers: dict[str, Any]) -> set[str]:
    order = list(answers)
    return set(order[: order.index("what_happened") + 1])


def text_runs(node: object) -> list[str]:
    """Every TextRun's text in a card, as the DSL reads it."""
    if isinstance(node, dict):
        own = [str(node["text"])] if node.get("type") == "TextRun" else []
        return own + [t for value in node.values() for t in text_runs(value)]
    if isinstance(node, list):
        return [t for value in node for t in text_runs(value)]
    return []


async def test_teams_html_is_stored_and_shown_as_the_person_saw_it(world):
    report = await file_with(world, SENT, [MENTION])
    stored = world.bot.cipher.open(report, "answers_enc")["answers"]["what_happened"]
    assert stored == SEEN
    await world.click(DSL, f"case:view:{report.id}")
    await settle(world)
    shown = "\n".join(t for s in world.sent_to(DSL) for t in text_runs(s.body))
    assert "Ask Alice Hartley about this page (hxxps://x[.]example/a) & Tom's <3 now" in shown
    assert "It came from www[.]evil[.]example and the file was [U+202E]gnp.exe" in shown
    for raw in ("<at>", "&nbsp;", "&amp;", "&#39;", "<p>", "https://x.example", "\u202e"):
        assert raw not in shown
