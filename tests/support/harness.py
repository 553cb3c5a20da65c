"""Drive a conversation through the real router, and read the replies like a transcript."""

from __future__ import annotations

from itertools import count
from uuid import uuid4

from sqlalchemy import select

from bot.app import Bot
from bot.delivery.messages import Inbound, Notice, Outbound, Question, Summary, User
from bot.school.config import Person
from storage.models import Outbox, Report

# Platform message ids are unique across every conversation; so are these.
_MESSAGE_IDS = count(1)
# Message ids unique across runs too, as a platform's are: a database kept from an earlier run
# (tests/fixtures/databases) has that run's ids among the deliveries already seen.
_RUN = uuid4().hex[:8]


class Chat:
    """One person's conversation with the bot on a test channel: `send`, `click`, `tick`."""

    def __init__(self, bot: Bot, person: Person | str, *, channel: str = "test") -> None:
        if isinstance(person, str):
            found = bot.school.person(person)
            assert found is not None, f"{person} is not in the school config"
            person = found
        self.bot = bot
        self.user = User(platform_id=person.email, email=person.email, display_name=person.name)
        self.channel = channel
        self.replies: list[Outbound] = []

    def restart(self, bot: Bot) -> None:
        """Carry on the same conversation with a freshly started bot."""
        self.bot = bot

    async def open(self) -> list[Outbound]:
        return await self._turn(session_start=True)

    async def send(self, text: str) -> list[Outbound]:
        return await self._turn(text=text)

    async def click(self, value: str, *, token: str | bool | None = True) -> list[Outbound]:
        """Press a button on the newest question shown (its click token goes with it), or, with
        `token`, on an older message whose token was that (None: a message without one)."""
        return await self._turn(value=value, token=self._token(token))

    async def tick(self, *values: str, token: str | bool | None = True) -> list[Outbound]:
        return await self._turn(values=values, token=self._token(token))

    def _token(self, token: str | bool | None) -> str | None:
        if token is not True:
            return None if token is False else token  # type: ignore[return-value]
        asked = [r for r in self.replies if isinstance(r, Question | Summary)]
        return asked[-1].token if asked else None

    async def attach(self) -> list[Outbound]:
        return await self._turn(attachments=1)

    async def _turn(self, **fields: object) -> list[Outbound]:
        inbound = Inbound(
            channel=self.channel,
            conversation_key=self.user.email,
            user=self.user,
            message_id=f"{self.user.email}:{_RUN}:{next(_MESSAGE_IDS)}",
            **fields,  # type: ignore[arg-type]
        )
        self.replies = await self.bot.router.handle(inbound)
        return self.replies

    async def receipt(self) -> list[Outbound]:
        """The confirmation of this person's last report, as their channel is given it: it goes
        through the outbox (kind "receipt"), not the Send turn's replies. The test channel has
        no notifier, so it is read from its queued row and built by the bot's own CardMaker;
        it becomes the last replies (the reference, then the menu)."""
        async with self.bot.router.sessions() as session:
            row = await session.scalar(
                select(Outbox)
                .where(
                    Outbox.kind == "receipt",
                    Outbox.recipient_email == self.user.email,
                    Outbox.channel == self.channel,
                )
                .order_by(Outbox.id.desc())
                .limit(1)
            )
            assert row is not None, f"no confirmation queued for {self.user.email}"
            report = await session.get(Report, row.report_id)
            assert report is not None
            linked = None
            if report.linked_report_id is not None:
                linked = await session.get(Report, report.linked_report_id)
            self.replies = await self.bot.dispatcher.cards.messages_for(row, report, linked=linked)
        return self.replies

    # --- reading the last replies

    @property
    def question(self) -> Question | Summary:
        """The question (or summary) the user is being asked now."""
        asked = [r for r in self.replies if isinstance(r, Question | Summary)]
        assert asked, f"no question in the replies: {self.texts}"
        return asked[-1]

    @property
    def step(self) -> str | None:
        question = self.question
        return question.step_id if isinstance(question, Question) else "summary"

    @property
    def texts(self) -> list[str]:
        return [getattr(r, "text", "") for r in self.replies]

    def notices(self, tone: str | None = None) -> list[Notice]:
        return [r for r in self.replies if isinstance(r, Notice) and tone in {None, r.tone}]

    def assert_reply(self, fragment: str) -> None:
        everything = " | ".join(
            [*self.texts, *[getattr(r, "guidance", None) or "" for r in self.replies]]
        )
        assert fragment.casefold() in everything.casefold(), (
            f"{fragment!r} not in replies: {everything}"
        )

    def assert_asked(self, step_id: str) -> None:
        assert self.step == step_id, f"expected step {step_id!r}, now at {self.step!r}"
