"""A person's text message rule, through GOV.UK Notify's documented API (a fake on loopback,
tests/alert_rules/fake_notify.py): the text goes after the delay, says nothing of the report,
and every refusal (429, 500, 400, 403) is retried through the outbox until Notify accepts."""

from __future__ import annotations

import pytest

from bot.cases.follow_ups import KIND
from bot.cases.scheduled import sweep_alerts
from bot.channels.sms.notify import NotifyKeyError, NotifySms
from bot.delivery.notifier import RetryLater
from tests.alert_rules.fake_notify import API_KEY, SECRET, SERVICE_ID, TEMPLATE_ID
from tests.alert_rules.test_email_follow_ups import REPORT_WORDS
from tests.support.alerts import file_concern, outbox
from tests.support.reports import only_report
from tests.support.walk import CONCERN_TAIL

DEPUTY = "d.osei@example.org"
PHONE = "07700 900123"


async def texts(bot):
    return [row for row in await outbox(bot) if row.kind == KIND and row.channel == "sms"]


async def test_a_text_goes_after_the_delay_through_refusals_once(
    make_bot, channel, clock, notify, school_with_rules
):
    fake, url = notify
    config = school_with_rules(
        {DEPUTY: [{"channel": "sms", "after_minutes": 5, "to": PHONE}]}, notify_url=url
    )
    bot = await make_bot(notifiers={"test": channel}, school_config=config, notify_api_key=API_KEY)
    fake.refuse(429, 500)
    await file_concern(bot)
    await sweep_alerts(bot.jobs)
    clock.advance(minutes=4, seconds=59)
    await sweep_alerts(bot.jobs)
    assert fake.requests == 0

    clock.advance(seconds=1)
    await sweep_alerts(bot.jobs)
    assert fake.refused == [429]
    (row,) = await texts(bot)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "429 RateLimitError" in (row.last_error or "")

    clock.advance(seconds=10)  # Notify's 10 s window
    await sweep_alerts(bot.jobs)
    assert fake.refused == [429, 500]
    (row,) = await texts(bot)
    assert (row.status, row.attempts) == ("pending", 2)
    assert fake.sent == []

    clock.advance(seconds=15)
    await sweep_alerts(bot.jobs)
    (sent,) = fake.sent
    (row,) = await texts(bot)
    assert (row.status, row.attempts) == ("sent", 3)
    assert sent["phone_number"] == PHONE
    assert sent["template_id"] == TEMPLATE_ID
    assert sent["reference"] == f"outbox-{row.id}"
    text = sent["personalisation"]["message"]
    report = await only_report(bot)
    assert report.reference in text
    for words in (*REPORT_WORDS, CONCERN_TAIL["what_happened"]):
        assert words not in str(sent), words

    clock.advance(minutes=30)
    await sweep_alerts(bot.jobs)
    assert len(fake.sent) == 1


@pytest.mark.parametrize(
    ("api_key", "phone", "refusal"),
    [
        (f"other-{SERVICE_ID}-{SECRET[:-1]}1", PHONE, "403 AuthError"),  # a wrong secret
        (API_KEY, "0770", "400 ValidationError"),  # not a phone number
    ],
    ids=["wrong-secret", "bad-number"],
)
async def test_notify_refusing_the_request_is_retried_not_sent(notify, api_key, phone, refusal):
    fake, url = notify
    provider = NotifySms(api_key=api_key, template_id=TEMPLATE_ID, base_url=url)
    with pytest.raises(RetryLater) as refused:
        await provider.send(phone=phone, text="Safeguarding alert OS-1", reference="outbox-1")
    assert refusal in refused.value.reason
    assert "0770" not in refused.value.reason  # Notify's message, which may quote it, is left out
    assert fake.sent == []


async def test_a_stale_token_is_refused_as_notify_does(notify):
    fake, url = notify
    provider = NotifySms(
        api_key=API_KEY, template_id=TEMPLATE_ID, base_url=url, epoch=lambda: 1_000_000.0
    )
    with pytest.raises(RetryLater, match="403 AuthError"):
        await provider.send(phone=PHONE, text="x", reference="outbox-1")
    assert fake.sent == []


async def test_notify_not_listening_is_retried():
    from tests.support.net import free_port

    provider = NotifySms(
        api_key=API_KEY, template_id=TEMPLATE_ID, base_url=f"http://127.0.0.1:{free_port()}"
    )
    with pytest.raises(RetryLater, match="could not be reached"):
        await provider.send(phone=PHONE, text="x", reference="outbox-1")


def test_a_key_not_in_notifys_format_is_refused_without_saying_it():
    with pytest.raises(NotifyKeyError) as refused:
        NotifySms(api_key="not-a-key-secret123", template_id=TEMPLATE_ID)
    assert "secret123" not in str(refused.value)
