"""`rotate-key` re-encrypts a check's typed text (device, location, action) with the reports':
once the old key is retired, the checks still read."""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.maintenance.rotate import rotate_key
from bot.monitoring.checks import checks_between
from storage.crypto import Cipher
from storage.models import FilteringCheck
from tests.monitoring.test_checks_chat import CHECK, ICT, checked
from tests.support.harness import Chat


async def test_a_checks_text_is_sealed_again_under_the_new_key(make_bot, channel):
    bot = await make_bot(notifiers={"test": channel})
    await checked(bot, Chat(bot, ICT), CHECK)
    new = Fernet.generate_key()
    assert await rotate_key(bot.settings, bot.engine, given=new.decode()) == 0
    async with bot.router.sessions() as session:
        (check,) = list(await session.scalars(select(FilteringCheck)))
        day = check.checked_at.date()
        (record,) = await checks_between(session, first=day, last=day, cipher=Cipher([new]))
    assert record.device == "Pupil laptop 12"
