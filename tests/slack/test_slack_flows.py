"""The bot in a Slack workspace: signed payloads in, what the fake Web API received out."""

from __future__ import annotations

import copy
import json
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from storage.models import Conversation, Outbox
from tests.conftest import DETAILS_IN_ALERTS, example_config_with
from tests.slack.conftest import DEPUTY_1, DEPUTY_2, DSL, STAFF, running_world
from tests.slack.filing import answer, file_concern, reports, walk_dm
from tests.slack.manifest import bot_scopes, load_manifest, scopes_needed_for
from tests.slack.world import blocks_of, text_of
from tests.support.walk import Answer

pytestmark = pytest.mark.one_database  # the channel, not the storage beneath it


async def test_a_concern_reaches_the_dsl_who_acknowledges_and_the_reporter_is_told(world):
    reference = await file_concern(world, "Name-calling in the class group chat.")
    (report,) = await reports(world)
    assert (report.reference, report.channel, report.category) == (
        reference,
        "slack",
        "cyberbullying",
    )
    assert report.reporter_email == "t.brannigan@example.org"

    for user in (DSL, DEPUTY_1, DEPUTY_2):  # an alert DM each, opened with conversations.open
        (alert,) = [m for m in world.api.posts_to(user) if reference in text_of(m)]
        assert "Acknowledge" in text_of(alert)
        assert alert["unfurl_links"] is False and alert["unfurl_media"] is False
    opened = {c.args["users"] for c in world.api.called("conversations.open")}
    assert {DSL, DEPUTY_1, DEPUTY_2} <= opened

    alert = world.newest_with(DSL, f"case:ack:{report.id}")
    await world.click(DSL, f"case:ack:{report.id}", message=alert)
    await world.settle()

    # The alert cards' updates (the reporter's answered questions are updated too).
    updates = [u for u in world.api.called("chat.update") if u.args["channel"] != "D" + STAFF]
    assert {u.args["channel"] for u in updates} >= {"D" + DSL, "D" + DEPUTY_1, "D" + DEPUTY_2}
    assert all("Acknowledged by Alice Hartley" in text_of(u.args) for u in updates)
    assert "seen by the DSL" in text_of(world.api.posts_to(STAFF)[-1])

    async with world.bot.router.sessions() as session:
        channels = set(await session.scalars(select(Outbox.channel)))
    assert channels == {"slack"}  # with Slack on, nothing waits in the try-it-out web chat

    methods = {c.method for c in world.api.calls}  # every method called is covered by a scope
    assert scopes_needed_for(methods) <= bot_scopes(load_manifest())


async def test_bad_or_missing_signatures_and_old_requests_get_401_and_change_nothing(world):
    stale = str(int(time.time()) - 6 * 60)
    for headers in ({"signature": "v0=" + "0" * 64}, {"signature": ""}, {"timestamp": stale}):
        response = await world.dm(STAFF, "report", **headers)
        assert response.status == 401
    await world.settle()
    assert world.api.posts_to(STAFF) == []
    assert await reports(world) == []


async def test_the_same_event_three_times_counts_once(world):
    await world.dm(STAFF, "report", event_id="EvSAME1")
    await world.settle()
    await world.click(STAFF, "yes")  # immediate danger: an urgent report is stored at once
    await world.settle()
    before = len(world.api.posts_to(STAFF))
    for retry in ("1", "2", "3"):
        response = await world.dm(
            STAFF,
            "report",
            event_id="EvSAME1",
            **{"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"},
        )
        assert response.status == 200
    await world.settle()
    assert len(world.api.posts_to(STAFF)) == before  # no second step, no second reply
    assert len(await reports(world)) == 1


async def test_a_double_click_on_a_question_counts_once(world):
    await world.dm(STAFF, "report")
    await world.settle()
    # Both clicks leave the client before the bot answers the first: they carry the message as
    # it was then, not as the bot's chat.update leaves it.
    question = copy.deepcopy(world.newest_with(STAFF, "yes"))
    await world.click(STAFF, "no", message=question)
    await world.click(STAFF, "no", message=question)
    await world.settle()
    assert len([m for m in world.api.posts_to(STAFF) if "What is the concern" in text_of(m)]) == 1


async def test_report_text_cannot_ping_anyone_or_make_links(database_url, tmp_path, clock):
    # The report's words in the alert, so the alert is among what is checked.
    school = example_config_with(tmp_path, **DETAILS_IN_ALERTS)
    async with running_world(database_url, tmp_path, clock, school) as world:
        hostile = "<!channel> <!here> <@U123> <https://evil.example|click> &amp; done"
        reference = await file_concern(world, hostile)
        calls = world.api.calls
        sent = [c.args for c in calls if c.method in {"chat.postMessage", "chat.update"}]
        assert any(reference in text_of(m) for m in sent)
        for message in sent:
            for text in [*_mrkdwn_texts(blocks_of(message)), str(message.get("text", ""))]:
                assert "<!channel>" not in text and "<!here>" not in text
                assert "<@U123>" not in text and "<https://evil" not in text
        alert = world.newest_with(DSL, "case:ack:")
        # As the reporter saw it (tests/slack/test_slack_markup.py), the link defanged.
        shown = "@channel @here @U123 click (hxxps://evil[.]example) &amp; done"
        assert shown in json.dumps(blocks_of(alert))


def _mrkdwn_texts(node: object) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            found.append(str(node.get("text", "")))
        for value in node.values():
            found += _mrkdwn_texts(value)
    elif isinstance(node, list):
        for value in node:
            found += _mrkdwn_texts(value)
    return found


async def test_the_slash_command_runs_a_filtering_report_in_the_dm(world):
    response = await world.command(STAFF, "filtering")
    assert response.status == 200
    await world.settle()
    opened = world.api.called("conversations.open")  # the command came from a channel
    assert opened and opened[-1].args["users"] == STAFF
    answers = {
        "problem": "over_blocked",
        "connection": "school_wifi",
        "device_room": "Laptop 7",
        "user_account": "skip",
        "address": "https://science.example.org/cells",
        "needed_for": "Year 6 science.",
        "happened_at": "today 09:00",
        "actions_taken": "skip",
    }
    await walk_dm(world, STAFF, answers)  # each answer to its own question
    summary = world.api.posts_to(STAFF)[-1]
    assert "hxxps://science[.]example[.]org/cells" in text_of(summary)  # shown defanged
    await answer(world, STAFF, "__submit")
    (report,) = await reports(world)
    assert (report.kind, report.category, report.status) == (
        "filtering",
        "over_blocked",
        "submitted",
    )


async def test_multi_choice_boxes_and_the_shortcut(world):
    payload = {
        "type": "shortcut",
        "callback_id": "report_concern",
        "trigger_id": "1.2.3",
        "action_ts": "1.2",
        "user": {"id": STAFF, "team_id": "T07QB6L2M1A"},
        "team": {"id": "T07QB6L2M1A"},
    }
    body = urlencode({"payload": json.dumps(payload)})
    assert (await world.post(body, "application/x-www-form-urlencoded")).status == 200
    await world.settle()
    answers: dict[str, Answer] = {
        "immediate_danger": "no",
        "category": "image",
        "image_rules": "ok",
        "image_device": "secured",
        "device_kept": "Locked in the office.",
        "image_seen": "not_seen",
        "image_indicators": ("coercion", "under_13"),
    }
    await walk_dm(world, STAFF, answers, until="about_adult")
    assert "Is the concern about the behaviour of an adult" in text_of(
        world.api.posts_to(STAFF)[-1]
    )
    await answer(world, STAFF, "__cancel")
    await answer(world, STAFF, "__cancel_no")
    (urgent,) = await reports(world)  # the boxes ticked made it urgent at once, with why
    assert (urgent.status, urgent.urgent_reasons) == ("in_progress", ["coercion", "under_13"])
    async with world.bot.router.sessions() as session:
        row = await session.scalar(select(Conversation))
    draft = world.bot.cipher.open(row, "state_enc")["dialog"]["answers"]
    assert draft["image_indicators"] == ["coercion", "under_13"]


async def test_someone_not_in_the_school_config_can_report_but_never_act(world):
    await world.dm("UGUEST", "report")
    await world.settle()
    assert "immediate danger" in text_of(world.api.posts_to("UGUEST")[-1])
    reference = await file_concern(world, "Something I saw.")
    (report,) = await reports(world)
    await world.dm("UGUEST", "cancel")
    await world.settle()
    alert = world.newest_with(DSL, f"case:ack:{report.id}")
    forged = dict(alert, channel="DUGUEST")
    await world.click("UGUEST", f"case:ack:{report.id}", message=forged)
    await world.settle()
    assert "Only the DSL" in text_of(world.api.posts_to("UGUEST")[-1])
    (report,) = await reports(world)
    assert report.case_status == "open" and reference


async def test_a_rate_limited_post_is_retried_not_dropped(world):
    world.api.fail_next["chat.postMessage"] = 1  # Slack answers 429 with Retry-After: 1
    await world.dm(STAFF, "report")
    # slack-sdk's retry handler waits the second Slack asked for, then posts again
    await world.until(
        "the question posted after the Retry-After", lambda: world.api.posts_to(STAFF)
    )
    assert "immediate danger" in text_of(world.api.posts_to(STAFF)[-1])


async def test_the_app_home_tab_offers_the_reports_and_the_cases(world):
    for user, expects_cases in ((STAFF, False), (DSL, True)):
        event = {
            "type": "event_callback",
            "team_id": "T07QB6L2M1A",
            "api_app_id": "A0APP",
            "event_id": f"EvHome{user}",
            "event_time": int(time.time()),
            "event": {
                "type": "app_home_opened",
                "user": user,
                "channel": "D" + user,
                "tab": "home",
                "event_ts": "1.2",
            },
        }
        assert (await world.post(json.dumps(event), "application/json")).status == 200
        await world.settle()
        (view,) = [c for c in world.api.called("views.publish") if c.args["user_id"] == user]
        text = json.dumps(view.args["view"])
        assert "start:concern" in text and "start:filtering" in text
        assert ("__cases" in text) is expects_cases


async def test_the_dsl_handles_the_case_in_slack(world):
    await file_concern(world, "Messages in the group chat.")
    (report,) = await reports(world)
    await world.click(DSL, f"case:note:{report.id}", message=world.newest_with(DSL, "case:note:"))
    await world.settle()
    await world.dm(DSL, "Spoke to the class teacher.")
    await world.settle()
    await world.click(DSL, "__submit")
    await world.settle()
    assert "Note saved to case" in " ".join(text_of(m) for m in world.api.posts_to(DSL)[-3:]), [
        m["text"][:80] for m in world.api.posts_to(DSL)[-4:]
    ]
    await world.dm(DSL, "cases")
    await world.settle()
    assert report.reference in text_of(world.api.posts_to(DSL)[-2])
