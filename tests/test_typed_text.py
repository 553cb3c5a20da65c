"""How typed text is shown (dialogs/text.py) and how Slack's and Teams' markup becomes what the
person saw (bot/channels/slack/markup.py, bot/channels/teams/markup.py)."""

from __future__ import annotations

import pytest

from bot.channels.slack.markup import as_seen as slack_seen
from bot.channels.slack.markup import mentioned
from bot.channels.teams.markup import as_seen as teams_seen
from bot.delivery.messages import Card
from dialogs.text import BIDI_CONTROLS, defang_urls, shown_text, visible_bidi
from tests.support.alerts import DSL, file_concern
from tests.support.harness import Chat
from tests.support.reports import only_report

# --- Every URL-shaped string is defanged; ordinary sentences are not.


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("https://x.example/a?b=1", "hxxps://x[.]example/a?b=1"),
        ("HTTP://X.EXAMPLE", "HxxP://X[.]EXAMPLE"),
        ("ftp://files.example.org/a", "fxp://files[.]example[.]org/a"),
        ("see www.example.co.uk.", "see www[.]example[.]co[.]uk."),
        ("bit.ly/3xYz", "bit[.]ly/3xYz"),
        ("on discord.gg/abc, then", "on discord[.]gg/abc, then"),
        ("youtube.com/watch?v=1&t=2", "youtube[.]com/watch?v=1&t=2"),
        ("tiktok.com and roblox.com!", "tiktok[.]com and roblox[.]com!"),
        ("x.example:8080/admin", "x[.]example:8080/admin"),
        ("(www.x.com/wiki/A_(b))", "(www[.]x[.]com/wiki/A_(b))"),
        ("[https://x.com]", "[hxxps://x[.]com]"),
        ("two: a.com/1 b.org/2", "two: a[.]com/1 b[.]org/2"),
    ],
)
def test_url_shaped_strings_are_defanged(typed: str, shown: str) -> None:
    assert defang_urls(typed) == shown


@pytest.mark.parametrize(
    "typed",
    [
        "e.g. a phone, i.e. hers, etc. and so on",
        "Mr. Smith and Mrs.Jones met Dr. Who",
        "Science.",
        "It ended.Then it started again",
        "she told.me it was fine, he said.it was",
        "the file gnp.exe and notes.txt, v1.2.3, 3.14, 1.5/2",
        "and/or 24/7 50/50",
        "write to jo@school.example.org or sam@x.com",
        "Node.js and ASP.NET",
        "hxxps://x[.]org already defanged",
    ],
)
def test_ordinary_sentences_and_addresses_of_mail_are_left_alone(typed: str) -> None:
    assert defang_urls(typed) == typed


def test_shown_text_is_idempotent() -> None:
    typed = "https://a.example/x \u202egnp.exe www.b.com bit.ly/y tiktok.com ftp://c.org"
    once = shown_text(typed)
    assert shown_text(once) == once


# --- Direction controls are made visible, each by its code point.


def test_every_direction_control_is_made_visible() -> None:
    for char in BIDI_CONTROLS:
        assert visible_bidi(f"a{char}b") == f"a[U+{ord(char):04X}]b"
    assert len(BIDI_CONTROLS) == 12  # U+202A-E, U+2066-9, U+200E, U+200F, U+061C
    assert visible_bidi("\u202egnp.exe") == "[U+202E]gnp.exe"
    assert visible_bidi("שלום and مرحبا") == "שלום and مرحبا"  # right-to-left text itself stays


# --- Slack's markup -> what was seen (docs.slack.dev/messaging/formatting-message-text).


@pytest.mark.parametrize(
    ("sent", "seen"),
    [
        ("<!channel> <!here> <!everyone>", "@channel @here @everyone"),
        ("<!here|here>", "@here"),
        ("<@U0DSL00001>", "@Alice Hartley"),
        ("<@U0GONE0001|old name>", "@old name"),
        ("<@U0GONE0002>", "@U0GONE0002"),
        ("<!subteam^S0DSL|@dsl-team>", "@dsl-team"),
        ("<#C0GENERAL|general> <#C0OTHER>", "#general #C0OTHER"),
        ("<https://x.example>", "https://x.example"),
        ("<https://x.example/a|click>", "click (https://x.example/a)"),
        ("<http://tiktok.com|tiktok.com>", "tiktok.com"),
        ("<http://www.x.com|www.x.com>", "www.x.com"),
        ("<mailto:jo@x.org|jo@x.org>", "jo@x.org"),
        ("<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"),
        ("Tom &amp; Jerry &lt;3 &gt;:(", "Tom & Jerry <3 >:("),
        ("&amp;lt;@U1&amp;gt; &lt;@U1&gt;", "&lt;@U1&gt; <@U1>"),  # typed, never a mention
        ("<https://x.example/?a=1&amp;b=2|a &amp; b>", "a & b (https://x.example/?a=1&b=2)"),
    ],
)
def test_slack_markup_becomes_what_was_seen(sent: str, seen: str) -> None:
    assert slack_seen(sent, {"U0DSL00001": "Alice Hartley"}) == seen


def test_slack_mentions_are_found_once_each_in_order() -> None:
    assert mentioned("<@U2> <@W1|x> <@U2> &lt;@U3&gt; <!here>") == ["U2", "W1"]


# --- Teams' HTML -> what was seen.


@pytest.mark.parametrize(
    ("sent", "seen"),
    [
        ("<at>Alice Hartley</at> please", "Alice Hartley please"),
        ("<p>one</p><p>two<br>three</p>", "one\ntwo\nthree"),
        ("Tom &amp; Jerry&#39;s&nbsp;cat &lt;3", "Tom & Jerry's cat <3"),
        ('<a href="https://x.example/a">this</a>', "this (https://x.example/a)"),
        ('<a href="https://x.example">https://x.example</a>', "https://x.example"),
        ('<span style="color:red"><b>red</b></span>', "red"),
        ('<emoji id="smile" alt="\U0001f604" title="Smile"></emoji>', "\U0001f604"),
        ("a &lt; b and a <b", "a < b and a <b"),
        ("&amp;lt;b&amp;gt;", "&lt;b&gt;"),  # entities undone once: "&lt;b&gt;" was typed
    ],
)
def test_teams_html_becomes_what_was_seen(sent: str, seen: str) -> None:
    assert teams_seen(sent) == seen


# --- Rows stored before this rule are shown by it too (the case card reads stored rows).


async def test_answers_stored_before_are_shown_safely_in_the_case_view(make_bot):
    bot = await make_bot()
    await file_concern(bot)
    report = await only_report(bot)
    typed = "Came from https://evil.example/x as \u202egnp.exe"
    async with bot.router.sessions() as session, session.begin():
        stored = await session.get(type(report), report.id)
        document = bot.cipher.open(stored, "answers_enc")
        for row in document["rows"]:
            if row["step"] == "what_happened":
                row["answer"] = typed  # as a report submitted before showed it
        bot.cipher.seal(stored, "answers_enc", document)
    dsl = Chat(bot, DSL)
    await dsl.click(f"case:view:{report.id}")
    (card, *_) = [r for r in dsl.replies if isinstance(r, Card)]
    shown = [f.value for f in card.fields]
    assert "Came from hxxps://evil[.]example/x as [U+202E]gnp.exe" in shown


# --- A Slack mention stored as seen still names its person (bot/reports/subjects.py).


def test_a_slack_mention_stored_as_seen_is_matched_by_its_name_or_its_id() -> None:
    from bot.reports.subjects import find_subjects
    from bot.school.config import load_school_config
    from tests.conftest import EXAMPLE_CONFIG

    school = load_school_config(EXAMPLE_CONFIG)
    head, dsl = "m.fenwick@example.org", "a.hartley@example.org"
    slack = {"@Marty F": head, "U0DSL00001": dsl}
    by_name = find_subjects(school, {"adult_who": "@Marty F did it"}, about_head=False, slack=slack)
    assert head in by_name.emails
    not_a_prefix = {"adult_who": "@Marty Fox did it"}
    assert head not in find_subjects(school, not_a_prefix, about_head=False, slack=slack).emails
    by_id = find_subjects(school, {"adult_who": "@U0DSL00001 again"}, about_head=False, slack=slack)
    assert dsl in by_id.emails and not by_id.notes
    unknown = find_subjects(school, {"adult_who": "@U0NOBODY01 again"}, about_head=False, slack={})
    assert unknown.notes  # "A Slack mention … matches nobody in the school file."
