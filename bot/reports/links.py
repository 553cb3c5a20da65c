"""Reports linked to one another: the urgent concern filed the moment material behind a
filtering failure is said to be possibly illegal, and a report started from another's offer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.record.bindings import BINDING, binding_of
from bot.record.events import record_event
from bot.reports import kinds
from bot.reports.references import assign_reference
from storage.crypto import Cipher
from storage.models import Report


async def file_linked_concern(
    session: AsyncSession,
    *,
    cipher: Cipher,
    source: Report,
    document: dict[str, Any],
    now: datetime,
) -> Report | None:
    """Possibly illegal material behind a report of a kind that says so (a filtering failure)
    is a safeguarding concern too: file it, linked, the moment the answer is given, so that a
    reporter who stops half-way leaves the DSL the concern. Filed once: when the source is
    finished, the concern already filed gets the finished answers instead of a twin.

    None when the source's kind files nothing more.
    """
    if source.linked_report_id is not None:
        return await _complete_linked_concern(
            session, cipher=cipher, source=source, document=document, now=now
        )
    known = kinds.find(source.kind)
    also_filed_as = known.possibly_illegal_also_filed_as if known else None
    if also_filed_as is None:
        return None
    return await _file_linked_concern(
        session, cipher=cipher, source=source, kind=also_filed_as, document=document, now=now
    )


async def link_to_source(
    session: AsyncSession, report: Report, reference: str | None
) -> Report | None:
    """A report started from another's offer is linked to it both ways, when that one is the
    same reporter's and is linked to nothing yet (else it is filed on its own)."""
    if reference is None:
        return None
    source = await session.scalar(
        select(Report).where(Report.reference == reference, Report.drill.is_(False))
    )
    if (
        source is None
        or source.id == report.id
        or source.reporter_email != report.reporter_email
        or source.linked_report_id is not None
    ):
        return None
    report.linked_report_id, source.linked_report_id = source.id, report.id
    return source


async def _file_linked_concern(
    session: AsyncSession,
    *,
    cipher: Cipher,
    source: Report,
    kind: str,
    document: dict[str, Any],
    now: datetime,
) -> Report:
    """Possibly illegal material behind a filtering failure is a safeguarding concern too
    (`kind`: the kind it is filed as, from the source's kind)."""
    concern = Report(
        kind=kind,
        category="content",
        subcategory="possibly_illegal",
        status="submitted",
        reporter_email=source.reporter_email,
        channel=source.channel,
        flow_id=source.flow_id,
        flow_version=source.flow_version,
        urgent=True,
        urgent_reasons=["possibly_illegal"],
        allegation=False,
        allegation_about_head=False,
        linked_report_id=source.id,
        created_at=now,
        updated_at=now,
        submitted_at=now,
    )
    await assign_reference(session, concern)
    cipher.seal(concern, "answers_enc", document)  # its own copy, sealed for its own row
    source.linked_report_id = concern.id
    await record_event(
        session,
        kind="submitted",
        at=now,
        actor_email=source.reporter_email,
        report_id=concern.id,
        detail={
            "kind": concern.kind,
            "from_filtering_report": source.id,
            BINDING: binding_of(concern),
        },
    )
    return concern


async def _complete_linked_concern(
    session: AsyncSession,
    *,
    cipher: Cipher,
    source: Report,
    document: dict[str, Any],
    now: datetime,
) -> Report | None:
    """The source was finished: its concern, filed when the answer was given, is sealed again
    with the finished answers (its own copy), and the log binds the new bytes."""
    concern = await session.get(Report, source.linked_report_id)
    if concern is None:
        return None
    cipher.seal(concern, "answers_enc", document)
    concern.updated_at = now
    await record_event(
        session,
        kind="answers_completed",
        at=now,
        actor_email=source.reporter_email,
        report_id=concern.id,
        detail={"from_report": source.id, BINDING: binding_of(concern)},
    )
    return concern
