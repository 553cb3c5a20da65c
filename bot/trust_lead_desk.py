"""The chat of the trust's own people (the trust file's `people`, in no school's file), in a
deployment serving a trust.

- The trust's safeguarding lead sees every school's open cases and opens any of them,
  read-only (bot/cases/trust_lead.py): each look is recorded in the school's own log, in the
  same transaction that reads the case and checks the turn's gate (the web chat's sign-in).
- The trust's IT people see no case: they are told what they may do (reload the files).

Their buttons say their school themselves (`__trust_view:<key>:<case>`): these are the trust's
buttons, not a school's, and no school's router ever sees them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot import trust_figures
from bot.audit.use_cases import NoAuditFlow
from bot.delivery.messages import Card, CardField, Inbound, Notice, Option, Outbound, Question
from bot.delivery.school_tags import TRUST_VIEW, untag_value
from bot.school.calendar import academic_year
from bot.school.trust import Trust, TrustRole
from bot.school_parts import SchoolParts
from bot.words import strings
from dialogs.datetimes import format_moment

LIST: str = "__trust_cases"
VIEW: str = TRUST_VIEW
FIGURES = "__trust_figures"
AUDIT = "__trust_audit"  # asks first: every school's staff are about to be asked
AUDIT_START = "__trust_audit_start"
MENU = "__trust_menu"
CASE = "case:"  # a school's case buttons: case:<verb>:<id>
_SHOWN_PER_SCHOOL = 20  # buttons per school's card; the card lists every case


@dataclass
class TrustLeadDesk:
    trust: Trust
    parts: Mapping[str, SchoolParts]
    clock: Callable[[], datetime]

    def serves(self, email: str) -> bool:
        """Whether `email` is one of the trust's own people and in no school's file."""
        return bool(self.trust.roles_of(email)) and not self.trust.schools_of(email)

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        email = inbound.user.email
        name = inbound.user.display_name
        if TrustRole.SAFEGUARDING_LEAD not in self.trust.roles_of(email):
            return [Notice(strings.TRUST_IT_NO_CASES.format(name=name))]
        value = inbound.value or ""
        typed = (inbound.text or "").strip().casefold()
        if value == LIST or typed in strings.CASES_WORDS:
            return await self._open_cases(inbound)
        if value == FIGURES or typed in strings.STATS_WORDS:
            return await self._figures(inbound)
        if value == AUDIT:
            return [self._audit_question()]
        if value == AUDIT_START:
            return await self._start_audits(inbound)
        tagged = untag_value(value) if value else None
        if tagged is not None and tagged[0] in self.parts and tagged[1].startswith(CASE):
            # A button of a school's alert card (the final level sent it): viewed, read-only.
            return await self._case_button(inbound, tagged[0], tagged[1].removeprefix(CASE))
        if value.startswith(VIEW):
            key, _, case = value.removeprefix(VIEW).partition(":")
            if key in self.parts and case.isdigit():
                return await self._view(inbound, key, int(case))
            return [Notice(strings.SCHOOL_GONE, "error"), self._menu(name)]
        return [self._menu(name)]

    def _menu(self, name: str) -> Question:
        return Question(
            step_id=None,
            input="menu",
            text=strings.TRUST_LEAD_MENU.format(name=name),
            options=(
                Option(LIST, strings.TRUST_CASES_BUTTON, "primary"),
                Option(FIGURES, strings.TRUST_FIGURES_BUTTON),
                Option(AUDIT, strings.TRUST_AUDIT_BUTTON),
            ),
        )

    def _audit_question(self) -> Question:
        return Question(
            step_id=None,
            input="menu",
            text=strings.TRUST_AUDIT_CONFIRM.format(n=len(self.parts)),
            options=(
                Option(AUDIT_START, strings.TRUST_AUDIT_START, "primary"),
                Option(MENU, strings.TRUST_AUDIT_NOT_NOW),
            ),
        )

    async def _start_audits(self, inbound: Inbound) -> list[Outbound]:
        """Every school's self-audit for this academic year, each started in its own records
        by the trust's lead (the campaign says who); a school where it runs already adds whoever
        is new and no more, so pressing the button again (or an old one) asks nobody twice. The
        schools' invitations share each platform's pace (bot/audit/invitations.py)."""
        email, now = inbound.user.email, self.clock()
        fields = []
        for part in self.parts.values():
            async with part.sessions() as session, session.begin():
                if inbound.gate is not None:
                    await inbound.gate(session)
                started = await part.audit.starter.start(session, started_by=email, now=now)
            if isinstance(started, NoAuditFlow):
                line = strings.TRUST_AUDIT_NO_FLOW.format(flow=started.flow)
            else:
                closes = format_moment(started.campaign.closes_at, part.school.tz)
                template = (
                    strings.TRUST_AUDIT_STARTED if started.created else strings.TRUST_AUDIT_ALREADY
                )
                line = template.format(n=started.invited, closes=closes)
            fields.append(CardField(part.school.name, line))
        year = academic_year(now.date())
        return [
            Card(
                card_id="trust-audit",
                title=strings.TRUST_AUDIT_TITLE.format(year=year),
                fields=tuple(fields),
                actions=(Option(FIGURES, strings.TRUST_FIGURES_BUTTON),),
            )
        ]

    async def _figures(self, inbound: Inbound) -> list[Outbound]:
        if inbound.gate is not None:  # the sign-in, checked before any school is read
            async with next(iter(self.parts.values())).sessions() as session, session.begin():
                await inbound.gate(session)
        found = await trust_figures.figures(
            self.parts, self.trust.pupils, email=inbound.user.email, clock=self.clock
        )
        year = academic_year(self.clock().date())
        chart = trust_figures.chart_png(found, title=self.trust.name)
        return [trust_figures.card(found, year=year, chart=chart)]

    async def chart(self, email: str) -> bytes | None:
        """The figures' chart for the web chat's link, made afresh; None for anyone but a
        trust's safeguarding lead."""
        if TrustRole.SAFEGUARDING_LEAD not in self.trust.roles_of(email):
            return None
        found = await trust_figures.figures(
            self.parts, self.trust.pupils, email=email, clock=self.clock
        )
        return trust_figures.chart_png(found, title=self.trust.name)

    async def _open_cases(self, inbound: Inbound) -> list[Outbound]:
        email, now = inbound.user.email, self.clock()
        shown: list[Outbound] = []
        none: list[str] = []
        for key, part in self.parts.items():
            async with part.sessions() as session, session.begin():
                if inbound.gate is not None:
                    await inbound.gate(session)
                listed = await part.services.cases.trust_lead.open_cases(
                    session, email=email, now=now
                )
            if not listed:
                none.append(part.school.name)
                continue
            shown.append(
                Card(
                    card_id=f"trust-cases-{key}",
                    title=strings.TRUST_SCHOOL_CASES.format(school=part.school.name, n=len(listed)),
                    fields=tuple(CardField(c.reference, c.line) for c in listed),
                    actions=tuple(
                        Option(
                            f"{VIEW}{key}:{c.case_id}",
                            strings.TRUST_VIEW_CASE.format(reference=c.reference),
                        )
                        for c in listed[:_SHOWN_PER_SCHOOL]
                    ),
                )
            )
        if none:
            shown.append(Notice(strings.TRUST_NO_CASES_AT.format(schools=", ".join(none))))
        return shown

    async def _case_button(self, inbound: Inbound, key: str, pressed: str) -> list[Outbound]:
        verb, _, case = pressed.partition(":")
        if not case.isdigit():
            return [self._menu(inbound.user.display_name)]
        if verb == "view":  # the web chat asked for the step-up first, as for the lead's View
            return await self._view(inbound, key, int(case))
        view = Option(f"{VIEW}{key}:{case}", strings.CASE_VIEW)
        return [
            Question(
                step_id=None,
                input="menu",
                text=strings.TRUST_LEAD_CANNOT_ACT,
                options=(view, Option(LIST, strings.TRUST_CASES_BUTTON)),
            )
        ]

    async def _view(self, inbound: Inbound, key: str, case_id: int) -> list[Outbound]:
        part = self.parts[key]
        async with part.sessions() as session, session.begin():
            if inbound.gate is not None:
                await inbound.gate(session)
            shown = await part.services.cases.trust_lead.view(
                session, case_id=case_id, email=inbound.user.email, now=self.clock()
            )
        if shown is None:
            return [Notice(strings.TRUST_CASE_NOT_SHOWN.format(school=part.school.name), "error")]
        return shown
