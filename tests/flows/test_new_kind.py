"""A report kind added as docs/adding-a-report-kind.md says: its flow YAML and its `kinds` entry,
taken from that page, and nothing else. The bot offers it, files it and alerts on it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.app import build_bot
from bot.channels.slack.parse import parse_command
from bot.reports import kinds
from bot.settings import PROJECT_ROOT, Settings
from dialogs.loader import FlowError
from tests.support.harness import Chat
from tests.support.notifiers import RecordingChannel
from tests.support.reports import all_reports, answers_of, only_report
from tests.support.walk import STAFF, Answer, walk_to_summary

DOC = PROJECT_ROOT / "docs" / "adding-a-report-kind.md"
DSL, DEPUTIES = "a.hartley@example.org", {"d.osei@example.org", "p.lindqvist@example.org"}
ICT = "r.adeyemi@example.org"
TEAM = {DSL, *DEPUTIES}
ANSWERS: dict[str, Answer] = {
    "reason": "bullying",
    "device": "AB (Year 9), own phone",
    "searched_at": "today 09:40",
    "present": "Mr Brannigan searched; Ms Osei present.",
    "possibly_illegal": "no",
    "what_found": "Threatening messages to CD (Year 9). Phone kept in the office.",
}
ASKED = ["reason", "device", "searched_at", "present", "possibly_illegal", "what_found"]


def doc_block(language: str) -> str:
    """The first fenced block of this language on the worked example's page."""
    found = re.search(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert found, f"no {language} block in {DOC}"
    return found.group(1)


@pytest.fixture
def device_search(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Add the page's kind: its entry to the registry (for this test only) and its flow YAML to
    a school's flows folder, which is returned."""
    namespace = {"Kind": kinds.Kind, "CONCERN": kinds.CONCERN}
    exec(doc_block("python"), namespace)  # noqa: S102 - the example on our own docs page
    entry = namespace["DEVICE_SEARCH"]
    assert isinstance(entry, kinds.Kind)
    monkeypatch.setitem(kinds.REGISTRY, entry.id, entry)
    flows = tmp_path / "school_flows"
    flows.mkdir()
    (flows / "device_search.yaml").write_text(doc_block("yaml"), encoding="utf-8")
    return flows


async def test_a_new_kind_is_offered_filed_with_its_prefix_and_alerted(make_bot, device_search):
    channel = RecordingChannel()
    bot = await make_bot(notifiers={"test": channel}, flows_dir=device_search)
    chat = Chat(bot, STAFF)

    await chat.open()
    menu = {option.value: option.label for option in chat.question.options}
    assert list(menu)[:3] == ["start:concern", "start:filtering", "start:device_search"]
    assert menu["start:device_search"] == "Record a search of a device"
    await chat.send("help")
    chat.assert_reply(
        '"filtering" for a filtering or monitoring problem, "device search" to record a search '
        "of a pupil's device, or press a button below."
    )

    await chat.send("Device  Search")  # its command word starts it
    chat.assert_reply("keeps a record of a search of a pupil's device")
    assert await walk_to_summary(chat, ANSWERS) == ASKED
    await chat.click("__submit")

    await chat.receipt()
    reference = re.search(r"DS-2026-\d{5}", " ".join(chat.texts))
    assert reference, chat.texts
    report = await only_report(bot)
    assert (report.kind, report.category, report.status, report.urgent) == (
        "device_search",
        "bullying",
        "submitted",
        False,
    )
    assert report.reference == reference.group(0)
    assert (await answers_of(bot, report))["device"] == ANSWERS["device"]

    await bot.dispatcher.deliver_due()
    assert channel.recipients() == TEAM
    assert channel.to(ICT) == []  # the entry leaves tells_ict False
    (card,) = channel.cards(DSL)
    assert card.title == f"Device search record {report.reference}"
    fields = {field.label: field.value for field in card.fields}
    assert fields["Kind"] == "Device search record: Suspected bullying or threats"


async def test_a_possibly_illegal_find_files_a_linked_urgent_concern(make_bot, device_search):
    bot = await make_bot(flows_dir=device_search)
    chat = Chat(bot, STAFF)
    await chat.open()
    await chat.click("start:device_search")  # the menu's button
    await walk_to_summary(chat, {**ANSWERS, "possibly_illegal": "yes"})
    await chat.click("__submit")

    await chat.receipt()
    chat.assert_reply("also filed as concern OS-2026-")
    record, concern = await all_reports(bot)
    assert (record.kind, record.urgent) == ("device_search", True)
    assert re.fullmatch(r"DS-2026-\d{5}", record.reference or ""), record.reference
    assert (concern.kind, concern.urgent, concern.subcategory) == (
        "concern",
        True,
        "possibly_illegal",
    )
    assert record.linked_report_id == concern.id and concern.linked_report_id == record.id


def test_the_slack_command_starts_it_too(device_search: Path) -> None:
    form = {"team_id": "T1", "user_id": "U1", "command": "/online-safety", "text": "device search"}
    assert parse_command(form).value == "start:device_search"


def test_without_its_entry_the_flow_stops_the_bot(device_search, monkeypatch, tmp_path):
    monkeypatch.delitem(kinds.REGISTRY, "device_search")
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        school_config=PROJECT_ROOT / "config" / "school.example.yaml",
        flows_dir=device_search,
    )
    with pytest.raises(
        FlowError, match=r"device_search\.yaml: report_kind: .* not 'device_search'"
    ):
        build_bot(settings)
