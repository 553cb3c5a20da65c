"""An alert whose first attempt may have arrived is looked for in the DM before it is sent again:
Slack's 500 on a message it kept, an answer slower than the send timeout, a second process
taking the row over after the first one stalled. Each time the DSL has the alert once."""

from __future__ import annotations

from bot.delivery.dispatch import Dispatcher
from bot.delivery.outbox import CLAIM_FOR
from tests.slack.conftest import DSL, STAFF
from tests.slack.filing import eventually, outbox_rows, submitted, to_summary
from tests.slack.manifest import bot_scopes, load_manifest, scopes_needed_for
from tests.slack.world import PostFailure, SlackWorld, SlowPost, text_of
from tests.support.walk import cyberbullying_concern

ANSWERS = cyberbullying_concern("Name-calling in the class group chat.", "today 09:00")
DSL_EMAIL = "a.hartley@example.org"
TITLE = "Online-safety concern OS-"


async def file_concern(world: SlackWorld) -> str:
    summary = await to_summary(world, STAFF, ANSWERS)
    await world.click(STAFF, "__submit", message=summary)
    report = await submitted(world)
    assert report.reference is not None
    return report.reference


def alerts_to_dsl(world: SlackWorld, reference: str) -> list[dict[str, object]]:
    return [m for m in world.api.posts_to(DSL) if reference in text_of(m)]


async def dsl_row(world: SlackWorld):
    (row,) = [r for r in await outbox_rows(world, "alert") if r.recipient_email == DSL_EMAIL]
    return row


async def wait_for_row(world: SlackWorld, what: str, check) -> None:
    async def row_is() -> bool:
        rows = [r for r in await outbox_rows(world, "alert") if r.recipient_email == DSL_EMAIL]
        return bool(rows) and check(rows[0])

    await eventually(what, row_is)


async def test_a_500_on_a_message_slack_kept_is_found_and_not_sent_again(world, clock):
    world.api.post_failures.append(PostFailure(TITLE, stored=True, channel="D" + DSL))
    reference = await file_concern(world)
    await wait_for_row(world, "the 500 to be recorded", lambda row: row.attempts == 1)
    assert (await dsl_row(world)).status == "pending"

    clock.advance(minutes=1)
    await world.bot.dispatcher.deliver_due()

    (alert,) = alerts_to_dsl(world, reference)  # the one Slack kept; nothing posted again
    row = await dsl_row(world)
    assert (row.status, row.platform_ref) == ("sent", f"{alert['channel']}:{alert['_ts']}")
    (look,) = world.api.called("conversations.history")
    assert look.args["channel"] == "D" + DSL
    assert str(look.args["include_all_metadata"]).lower() in {"1", "true"}
    methods = {c.method for c in world.api.calls}  # the look's scope is in the manifest
    assert scopes_needed_for(methods) <= bot_scopes(load_manifest())
    assert alert["metadata"] == {
        "event_type": "osbot_outbox",
        "event_payload": {"row": row.id, "part": 0},
    }


async def test_an_answer_slower_than_the_send_timeout_is_not_sent_again(world, clock):
    dispatcher = world.bot.dispatcher
    normal_timeout, dispatcher.send_timeout = dispatcher.send_timeout, 0.3
    world.api.slow_posts.append(SlowPost(TITLE, seconds=1.5, channel="D" + DSL))
    reference = await file_concern(world)
    await wait_for_row(world, "the timeout to be recorded", lambda row: row.attempts == 1)
    assert (await dsl_row(world)).last_error == "timed out"

    # The retry runs with the dispatcher's own timeout: on a loaded machine the first attempt
    # can run out before its post reaches Slack, and the slow answer then meets the retry.
    dispatcher.send_timeout = normal_timeout
    clock.advance(minutes=1)
    await world.bot.dispatcher.deliver_due()

    (alert,) = alerts_to_dsl(world, reference)
    row = await dsl_row(world)
    assert (row.status, row.platform_ref) == ("sent", f"{alert['channel']}:{alert['_ts']}")


async def test_a_row_taken_over_from_a_stalled_process_is_not_sent_twice(world, clock, caplog):
    # The first dispatcher posts the alert and then hears nothing for a while (a loaded machine,
    # or a process about to die); its lease runs out, and another process claims the row.
    world.api.slow_posts.append(SlowPost(TITLE, seconds=2.0, channel="D" + DSL))
    reference = await file_concern(world)
    await world.until("the alert to reach Slack", lambda: alerts_to_dsl(world, reference))
    clock.advance(seconds=CLAIM_FOR.total_seconds() + 1)
    bot = world.bot
    other = Dispatcher(
        sessions=bot.router.sessions,
        notifiers=bot.dispatcher.notifiers,
        cards=bot.dispatcher.cards,
        clock=clock,
    )

    await other.deliver_due()
    assert (await dsl_row(world)).status == "sent"
    await bot.dispatcher.deliver_due()  # waits for the first one's batch, answer and record

    (alert,) = alerts_to_dsl(world, reference)
    row = await dsl_row(world)
    assert (row.status, row.platform_ref) == ("sent", f"{alert['channel']}:{alert['_ts']}")
    assert "was taken over before it was recorded" in caplog.text  # its late result: dropped
