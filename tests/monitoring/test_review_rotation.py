"""The review's answers are sealed as report text is, so `rotate-key` seals them again under the
new key: after it, the old key alone opens none of them."""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.maintenance.rotate import rotate_key
from bot.monitoring import review
from storage.crypto import Cipher, CipherError
from storage.models import FilteringReview
from tests.monitoring.test_review import REVIEW_DAY


async def test_rotation_seals_the_review_answers_under_the_new_key(make_bot, clock) -> None:
    bot = await make_bot()
    clock.now = REVIEW_DAY
    async with bot.router.sessions() as session, session.begin():
        found, _ = await review.open_review(
            session, school=bot.school, year=2026, channels=(), now=clock()
        )
        bot.cipher.seal(found, "answers_enc", {"provision": "Every school device."})
    old = bot.settings.key_file.read_bytes().strip()
    new = Fernet.generate_key()
    assert await rotate_key(bot.settings, bot.engine, given=new.decode()) == 0
    async with bot.router.sessions() as session:
        (token,) = await session.scalars(select(FilteringReview.answers_enc))
        (row_id,) = await session.scalars(select(FilteringReview.id))
    place = {"table": "filtering_reviews", "row": row_id, "column": "answers_enc"}
    assert Cipher([new]).decrypt_json(bytes(token), **place) == {
        "provision": "Every school device."
    }
    try:
        Cipher([old]).decrypt_json(bytes(token), **place)
    except CipherError:
        pass
    else:
        raise AssertionError("the old key still opens the review's answers")
