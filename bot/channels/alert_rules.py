"""The channels of the people's alert rules (bot/school/alert_rules.py), made from the school
file and the secrets in the environment. They carry follow-ups only, never an alert's card:
the app adds them to the dispatcher's notifiers, not to the channels alerts go on."""

from __future__ import annotations

from bot.channels.email.notifier import EmailNotifier
from bot.channels.sms.notifier import SmsNotifier
from bot.channels.sms.notify import NotifyKeyError, NotifySms
from bot.delivery.notifier import Notifier
from bot.school.config import SchoolConfig, SchoolConfigError
from bot.settings import Settings


def alert_rule_notifiers(settings: Settings, school: SchoolConfig) -> dict[str, Notifier]:
    """`email` and `sms`, each where the school file configures it; a secret it needs and
    the environment lacks stops the bot at start, naming the variable."""
    found: dict[str, Notifier] = {}
    path = settings.school_config
    server = school.alert_email
    if server is not None:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        if server.username and password is None:
            raise SchoolConfigError(
                path,
                [
                    "alert_email.username: its password must be in the SMTP_PASSWORD environment "
                    "variable, which is not set"
                ],
            )
        found["email"] = EmailNotifier(school=school, server=server, password=password)
    sms = school.alert_sms
    if sms is not None:
        if settings.notify_api_key is None:
            raise SchoolConfigError(
                path,
                [
                    "alert_sms: the GOV.UK Notify API key must be in the NOTIFY_API_KEY "
                    "environment variable, which is not set"
                ],
            )
        try:
            provider = NotifySms(
                api_key=settings.notify_api_key.get_secret_value(),
                template_id=sms.template_id,
                base_url=sms.base_url,
            )
        except NotifyKeyError as problem:
            raise SchoolConfigError(path, [f"alert_sms: {problem}"]) from None
        found["sms"] = SmsNotifier(school=school, provider=provider, bot_link=sms.bot_link)
    return found
