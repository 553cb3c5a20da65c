"""Training records (§11) and the policy-review reminder (§12), through the router and the jobs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from bot.audit.policy_review import PolicyReviewReminder
from bot.delivery.messages import Card
from tests.conftest import EXAMPLE_CONFIG
from tests.support.harness import Chat
from tests.support.notifiers import RecordingChannel

STAFF, DSL, DEPUTY = "t.brannigan@example.org", "a.hartley@example.org", "d.osei@example.org"
DUE = "Training due this academic year (2026-27), not overdue yet"


def config_with(tmp_path: Path, **sections: object) -> Path:
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    config.update(sections)
    path = tmp_path / "school.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def shown(chat: Chat) -> str:
    parts = []
    for message in chat.replies:
        parts += [str(getattr(message, "text", "") or ""), str(getattr(message, "title", ""))]
        parts += [f"{f.label}: {f.value}" for f in getattr(message, "fields", ())]
    return " | ".join(parts)


async def test_the_dsl_sees_who_is_overdue_and_records_training(make_bot, tmp_path):
    training = [
        {"email": DSL, "induction": "2019-09-02", "refresher": "2026-09-03", "dsl": "2023-06-01"},
        {"email": STAFF, "induction": "2024-09-02", "refresher": "2025-09-04"},
    ]
    bot = await make_bot(school_config=config_with(tmp_path, training=training))
    staff, dsl = Chat(bot, STAFF), Chat(bot, DSL)

    await staff.send("training")
    assert "Only the DSL" in shown(staff)

    await dsl.send("training")
    listed = shown(dsl)
    assert "Tom Brannigan: no online-safety refresher in 2026-27" in listed  # last was 2025-26
    assert "Alice Hartley: DSL training more than 2 years ago" in listed  # June 2023
    assert "Induction 02/09/2024" in listed  # the config's dates, as records

    await dsl.send("training record t.brannigan@example.org refresher 31/02/2026")
    assert "is not a date" in shown(dsl)
    await dsl.send("training record t.brannigan@example.org refresher 01/01/2027")
    assert "is not a date that has passed" in shown(dsl)  # the clock is in November 2026
    await dsl.send("training record nobody@example.org refresher 04/09/2026")
    assert "not in the school configuration" in shown(dsl)
    await dsl.send("training record t.brannigan@example.org refresher")
    assert "To record a training" in shown(dsl)
    await dsl.send("training record t.brannigan@example.org refresher 04/09/2026")
    assert "Recorded: Annual refresher" in shown(dsl)
    await dsl.send("training record t.brannigan@example.org refresher 2026-09-04")
    assert "already recorded" in shown(dsl)  # the same record twice is one record
    await dsl.send("training")
    assert "Tom Brannigan: no online-safety refresher" not in shown(dsl)


async def test_the_policy_review_reminder_goes_once_a_month_before(make_bot, tmp_path, clock):
    review = date(2026, 12, 24)  # the clock starts on 24 November 2026: 30 days before
    path = config_with(tmp_path, audit={"policy_review": review.isoformat()})
    recording = RecordingChannel()
    bot = await make_bot(notifiers={"test": recording}, school_config=path)
    remind = PolicyReviewReminder(
        school=bot.school,
        sessions=bot.router.sessions,
        notifiers={"test": recording},
        channels=("test",),
        clock=clock,
    )
    clock.advance(days=-1)
    assert await remind() == 0  # 31 days before: not yet
    clock.advance(days=1)
    told = await remind()
    assert told == len(bot.school.people_with("dsl", "deputy_dsl")) >= 2
    assert await remind() == 0  # once per review date
    assert {d.recipient_email for d in recording.deliveries} >= {DSL, DEPUTY}
    assert all("annual review on 24/12/2026" in d.messages[0].text for d in recording.deliveries)


def cards(chat: Chat) -> dict[str, dict[str, str]]:
    """Each card's title (its numbers cut off) -> its fields, name -> line."""
    found: dict[str, dict[str, str]] = {}
    for message in chat.replies:
        if isinstance(message, Card):
            title = message.title.split(":")[0]
            found.setdefault(title, {}).update({f.label: f.value for f in message.fields})
    return found


async def test_governors_are_not_checked_as_staff(make_bot):
    bot = await make_bot()
    dsl = Chat(bot, DSL)
    await dsl.send("training")
    listed = shown(dsl)
    assert "Joanna Whitcombe" not in listed  # roles: [governor] only
    staff = [p for p in bot.school.people if p.roles != ("governor",)]
    assert len(staff) == len(bot.school.people) - 1
    assert f"of {len(staff)} staff" in listed
    assert "Tom Brannigan: no induction recorded" in listed  # staff still are


async def test_due_this_year_is_shown_apart_from_overdue(make_bot, tmp_path):
    # The clock: 24 November 2026, in the academic year 2026-27 (ends 31 August 2027).
    training = [
        {"email": STAFF, "induction": "2024-09-02", "refresher": "2025-09-04"},  # last year
        {"email": "s.nakamura@example.org", "induction": "2020-09-02", "refresher": "2024-09-04"},
        {"email": "l.petrakis@example.org", "induction": "2020-09-02", "refresher": "2026-09-04"},
        # DSL training March 2025: two years run out in March 2027, this academic year.
        {
            "email": DSL,
            "induction": "2019-09-02",
            "refresher": "2026-09-03",
            "dsl": "2025-03-01",
            "dsl_update": "2026-10-01",
        },
    ]
    bot = await make_bot(school_config=config_with(tmp_path, training=training))
    dsl = Chat(bot, DSL)
    await dsl.send("training")
    found = cards(dsl)
    overdue, due = (
        found["Training overdue"],
        found["Training due this academic year (2026-27), not overdue yet"],
    )
    assert due["Tom Brannigan"].startswith("no online-safety refresher in 2026-27 yet")
    assert "Tom Brannigan" not in overdue
    assert overdue["Sophie Nakamura"].startswith("no online-safety refresher in 2026-27")
    assert "Sophie Nakamura" not in due  # missed 2025-26 too: overdue
    assert "Leo Petrakis" not in overdue and "Leo Petrakis" not in due  # done this year
    assert due["Alice Hartley"].startswith("DSL training due by the end of 2026-27")
    assert "Alice Hartley" not in overdue


async def test_the_dsl_update_is_tracked_at_least_annually(make_bot, tmp_path):
    training = [
        # Trained in October 2025: more than a year ago, so an update is overdue (the training
        # counts as one), while the two-yearly training is not yet due.
        {"email": DSL, "induction": "2019-09-02", "refresher": "2026-09-03", "dsl": "2025-10-01"},
        # An update in January 2026: the next is due by January 2027, this academic year.
        {
            "email": DEPUTY,
            "induction": "2019-09-02",
            "refresher": "2026-09-03",
            "dsl": "2025-10-01",
            "dsl_update": "2026-01-10",
        },
    ]
    bot = await make_bot(school_config=config_with(tmp_path, training=training))
    dsl = Chat(bot, DSL)
    await dsl.send("training")
    found = cards(dsl)
    overdue, due = (
        found["Training overdue"],
        found["Training due this academic year (2026-27), not overdue yet"],
    )
    assert overdue["Alice Hartley"].startswith("no DSL update in the last year")
    assert "DSL training" not in overdue["Alice Hartley"].split(" (last")[0]
    assert due["Daniel Osei"].startswith("DSL update due by the end of 2026-27")
    assert "DSL update 10/01/2026" in due["Daniel Osei"]  # the config's date, as a record
    assert "Daniel Osei" not in overdue

    await dsl.send("training record a.hartley@example.org dsl_update 20/11/2026")
    assert "Recorded: DSL update for a.hartley@example.org on 20/11/2026" in shown(dsl)
    await dsl.send("training")
    assert "Alice Hartley" not in cards(dsl).get("Training overdue", {})
