"""Reading a monitoring provider's alert e-mail: each built-in template with an e-mail written from
the provider's public description of it (cited at each sample), a school's own template, and
the e-mails no template reads, which are kept with their subject only."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from bot.monitoring.email_alerts import read_alert, templates_for
from bot.monitoring.provider_alert import ProviderAlert, Severity, UnreadableAlert
from bot.school.monitoring_email_settings import EmailTemplate

LONDON = ZoneInfo("Europe/London")
RECEIVED = datetime(2026, 12, 5, 9, 20, tzinfo=UTC)
CONSOLE = "https://console.example.net/alerts/8812"


def email(
    sender: str,
    subject: str,
    *,
    text: str | None = None,
    html: str | None = None,
    message_id: str | None = "<alert-8812@provider.example>",
    date: str | None = "Sat, 05 Dec 2026 09:13:00 +0000",
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "monitoring-alerts@school.example.org"
    message["Subject"] = subject
    if message_id is not None:
        message["Message-ID"] = message_id
    if date is not None:
        message["Date"] = date
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    return message.as_bytes()


def read(raw: bytes, *own: EmailTemplate) -> ProviderAlert | UnreadableAlert:
    return read_alert(raw, templates=templates_for(own), tz=LONDON, received_at=RECEIVED)


# Linewize School Manager's Red Flag Alert, written from Linewize's description of it
# (https://help.linewize.com/hc/en-gb/articles/5999388552732-School-Manager-Red-Flag-Alert-Email):
# from redflag@linewize.com (the sender in
# https://help.linewize.com/hc/en-gb/articles/5803866585244-School-Manager-Email-Reports-and-Alerts-Guide),
# the subject "[REDFLAG ALERT]" with the student's name and the red flag; in the body the
# student and the School Manager device, a link to the user dashboard, the time and date, the
# red flag's category, the request (search terms) and "View in School Manager". The article
# describes the fields without their layout: an HTML table of them, as such e-mails are made.
def linewize_html(category: str = "Suicide", *, host: str = "console.example.net") -> str:
    return f"""<html><head><style>body {{ background: url(http://{host}/bg.png) }}</style>
<link rel="stylesheet" href="http://{host}/mail.css"></head>
<body><img src="http://{host}/linewize-logo.png" alt="Linewize">
<h2>Red Flag Alert</h2>
<table>
<tr><td>Student</td><td>Jamie Example</td></tr>
<tr><td>School Manager device</td><td>sm-appliance-01</td></tr>
<tr><td colspan="2"><a href="http://{host}/dashboard/user/jexample">Go to the User Dashboard</a>
</td></tr>
<tr><td>Time and Date</td><td>05/12/2026 09:12</td></tr>
<tr><td>Category</td><td>{category}</td></tr>
<tr><td>Request</td><td>search: how many tablets is too many</td></tr>
</table>
<p><a href="http://{host}/alerts/8812">View in School Manager</a></p>
<img src="http://{host}/open-tracking.gif" width="1" height="1">
</body></html>"""


def test_a_linewize_suicide_red_flag_is_read_as_critical() -> None:
    raw = email(
        "School Manager <redflag@linewize.com>",
        "[REDFLAG ALERT] Jamie Example - Suicide",
        html=linewize_html("Suicide"),
    )

    alert = read(raw)

    assert alert == ProviderAlert(
        provider="linewize",
        alert_id="<alert-8812@provider.example>",
        severity=Severity.CRITICAL,
        provider_severity="",
        category="Suicide",
        user="Jamie Example",
        device="sm-appliance-01",
        occurred_at=datetime(2026, 12, 5, 9, 12, tzinfo=UTC),  # GMT in December
        description="search: how many tablets is too many",
        console_url="http://console.example.net/alerts/8812",
    )


def test_a_linewize_red_flag_of_another_category_is_high() -> None:
    raw = email(
        "redflag@linewize.com", "[REDFLAG ALERT] Jamie Example - VPN", html=linewize_html("VPN")
    )

    alert = read(raw)

    assert isinstance(alert, ProviderAlert)
    assert (alert.severity, alert.category) == (Severity.HIGH, "VPN")


# Smoothwall Filter's Safeguarding Alert: the body gives the Safeguarding Severity (Danger,
# the highest, Caution or Advisory:
# https://kb.smoothwall.com/hc/en-us/articles/15280520844572-What-is-Safeguarding-Severity)
# and the Safeguarding Theme (Suicide is sent at once:
# https://kb.smoothwall.com/hc/en-us/articles/15280601139100-When-are-Safeguarding-Alerts-sent).
# The sender is Smoothwall's documented one (noreply@smoothwall.com,
# https://monitorhelp.smoothwall.com/hc/en-us/articles/8025396557980); the layout is not
# published: labelled lines with the documented names.
def smoothwall_text(severity: str = "Danger", theme: str = "Suicide") -> str:
    return f"""Safeguarding Alert

A user has accessed content in a Safeguarding Theme.

Username: jexample@pupils.school.example.org
Safeguarding Theme: {theme}
Safeguarding Severity: {severity}
Date/Time: 2026-07-01 13:05:09
Search Term: ways to disappear
IP Address: 10.4.2.17
"""


@pytest.mark.parametrize(
    ("word", "severity"),
    [("Danger", Severity.CRITICAL), ("Caution", Severity.HIGH), ("Advisory", Severity.MEDIUM)],
)
def test_a_smoothwall_safeguarding_alert_maps_its_severity(word: str, severity: Severity) -> None:
    raw = email(
        "Smoothwall <noreply@smoothwall.com>",
        f"Safeguarding Alert: {word} - Suicide",
        text=smoothwall_text(word),
    )

    alert = read(raw)

    assert alert == ProviderAlert(
        provider="smoothwall",
        alert_id="<alert-8812@provider.example>",
        severity=severity,
        provider_severity=word,
        category="Suicide",
        user="jexample@pupils.school.example.org",
        device="10.4.2.17",
        occurred_at=datetime(2026, 7, 1, 12, 5, 9, tzinfo=UTC),  # BST in July
        description="ways to disappear",
        console_url=None,
    )


def test_the_plain_part_is_read_and_the_html_part_gives_the_console_link() -> None:
    template = EmailTemplate(
        name="linewize",
        senders=("redflag@linewize.com",),
        labels={"category": ("Category",)},
        default_severity="high",
        console_link_text="View in School Manager",
    )
    raw = email(
        "redflag@linewize.com",
        "[REDFLAG ALERT] Jamie Example - Gambling",
        text="Category: Gambling\n",
        html=linewize_html("Suicide"),
    )

    alert = read(raw, template)

    assert isinstance(alert, ProviderAlert)
    assert alert.category == "Gambling"  # the plain part, not the HTML one
    assert alert.console_url == "http://console.example.net/alerts/8812"
    # No time in the e-mail's text: when the provider sent it.
    assert alert.occurred_at == datetime(2026, 12, 5, 9, 13, tzinfo=UTC)


# Senso documents its levels (Low, Medium, High, Urgent, Critical; only Urgent and Critical are
# e-mailed: https://support.senso.cloud/support/solutions/articles/79000116253) and what a
# capture shows (the date, the words that triggered it, the severity, the device, the user:
# https://support.senso.cloud/support/solutions/articles/79000149836), but not its e-mail's
# sender or layout: a school writes its template from a real alert e-mail, as here.
SENSO = EmailTemplate(
    name="senso",
    senders=("@senso.cloud",),
    subject=r"violation",
    labels={
        "severity": ("Severity",),
        "category": ("Rule Set", "Ruleset"),
        "user": ("User", "Logged in user"),
        "device": ("Device",),
        "occurred_at": ("Date",),
        "description": ("Words", "Phrase"),
        "console_url": ("Link",),
    },
    severities={
        "low": "low",
        "medium": "medium",
        "high": "high",
        "urgent": "high",
        "critical": "critical",
    },
)


@pytest.mark.parametrize(
    ("word", "severity"), [("Critical", Severity.CRITICAL), ("Urgent", Severity.HIGH)]
)
def test_a_school_template_reads_its_providers_email(word: str, severity: Severity) -> None:
    raw = email(
        "Senso Alerts <alerts@senso.cloud>",
        f"{word} violation detected",
        text=f"""Severity: {word}
Rule Set: Self Harm
Phrase: i want to hurt myself
User: SCHOOL\\jexample
Device: ICT-SUITE-14 (10.4.3.22)
Date: 05/12/2026 14:03:27
Link: {CONSOLE}
""",
    )

    alert = read(raw, SENSO)

    assert alert == ProviderAlert(
        provider="senso",
        alert_id="<alert-8812@provider.example>",
        severity=severity,
        provider_severity=word,
        category="Self Harm",
        user="SCHOOL\\jexample",
        device="ICT-SUITE-14 (10.4.3.22)",
        occurred_at=datetime(2026, 12, 5, 14, 3, 27, tzinfo=UTC),
        description="i want to hurt myself",
        console_url=CONSOLE,
    )


def test_a_school_template_replaces_the_built_in_one_of_its_name() -> None:
    own = EmailTemplate(
        name="smoothwall",
        senders=("alerts@filter.school.example.org",),
        labels={"category": ("Theme",)},
        default_severity="low",
    )

    templates = templates_for([own])

    assert [t.name for t in templates] == ["smoothwall", "linewize"]
    assert templates[0] is own


@pytest.mark.parametrize(
    ("sender", "subject", "text", "provider"),
    [
        # The provider's e-mail, but the theme is missing: not guessed.
        (
            "noreply@smoothwall.com",
            "Safeguarding Alert",
            "Safeguarding Severity: Danger\nUsername: jexample\n",
            "smoothwall",
        ),
        # A level the template does not know: not guessed either.
        (
            "noreply@smoothwall.com",
            "Safeguarding Alert",
            smoothwall_text("Purple"),
            "smoothwall",
        ),
        # The provider's sender, another kind of e-mail (a weekly report).
        ("noreply@smoothwall.com", "Your weekly dashboard", "Users: 812\n", "smoothwall"),
        # Nobody the bot knows.
        ("someone@example.com", "Re: alerts", "Category: Suicide\n", None),
    ],
)
def test_an_email_no_template_reads_is_kept_with_its_subject_only(
    sender: str, subject: str, text: str, provider: str | None
) -> None:
    alert = read(email(sender, subject, text=text))

    assert alert == UnreadableAlert(
        provider=provider,
        message_id="<alert-8812@provider.example>",
        subject=subject,
        received_at=RECEIVED,
    )


def test_an_email_without_a_message_id_is_known_by_its_digest() -> None:
    raw = email("someone@example.com", "Hello", text="hi", message_id=None)

    alert = read(raw)

    assert isinstance(alert, UnreadableAlert)
    assert alert.message_id.startswith("sha256:")
    assert alert.message_id == read(raw).message_id


def test_bytes_that_are_not_an_email_are_unreadable_not_an_error() -> None:
    alert = read(b"\x00\xff garbage \r\n\r\n\xfe")

    assert isinstance(alert, UnreadableAlert)
    assert alert.provider is None


def test_a_long_subject_is_cut() -> None:
    alert = read(email("someone@example.com", "x" * 500, text="hi"))

    assert isinstance(alert, UnreadableAlert)
    assert alert.subject == "x" * 200


def test_a_label_alone_on_its_line_takes_the_next_line() -> None:
    html = (
        "<div><p><b>Student</b></p><p>Zoë Example</p>"
        "<p><b>Category</b></p><p>Adult Content</p></div>"
    )
    message = EmailMessage()
    message["From"] = "redflag@linewize.com"
    message["Subject"] = "[REDFLAG ALERT] Zoë Example - Adult Content"
    message["Message-ID"] = "<1@linewize.com>"
    message.set_content(html, subtype="html", charset="utf-8", cte="base64")

    alert = read(message.as_bytes())

    assert isinstance(alert, ProviderAlert)
    assert (alert.user, alert.category) == ("Zoë Example", "Adult Content")


def test_a_mangled_email_is_read_or_kept_never_an_error() -> None:
    """Bytes from the network: each of these damaged copies of the samples gives an alert."""
    samples = [
        email("redflag@linewize.com", "[REDFLAG ALERT] x", html=linewize_html()),
        email("noreply@smoothwall.com", "Safeguarding Alert", text=smoothwall_text()),
    ]
    noise = [b"\r\n", b":", b"=?utf-8?b?", b"--", b"<", b"\xff", b"boundary=", b"\t"]
    rng = random.Random(18)  # noqa: S311 - the same damage each run, not a secret
    for _ in range(200):
        damaged = bytearray(rng.choice(samples))
        for _ in range(rng.randint(1, 20)):
            at = rng.randrange(len(damaged))
            choice = rng.random()
            if choice < 0.4:
                damaged[at] = rng.randrange(256)
            elif choice < 0.7:
                del damaged[at : at + rng.randint(1, 30)]
            else:
                damaged[at:at] = rng.choice(noise)
        assert isinstance(read(bytes(damaged)), ProviderAlert | UnreadableAlert)


def test_an_empty_label_does_not_take_the_next_label_as_its_value() -> None:
    raw = email(
        "redflag@linewize.com",
        "[REDFLAG ALERT] Jamie Example - VPN",
        text="Student: Jamie Example\nDevice:\nTime and Date: 05/12/2026 09:12\nCategory: VPN\n",
    )

    alert = read(raw)

    assert isinstance(alert, ProviderAlert)
    assert alert.device is None
    assert alert.occurred_at == datetime(2026, 12, 5, 9, 12, tzinfo=UTC)
