"""The answer to a file consent card (bot/channels/teams/files.py): on Allow, the file is made
afresh and PUT into the person's OneDrive, then shown with a file info card; on Decline, a
short word to say so and how to get it again.

Nothing in the card's context is trusted: it names a kind of file and an id, nothing more. On
Allow the person is checked on the server, as things are now, and the file is made from the
database, as it is now, for them, by the same use case as the web chat's download of that file:

- a self-audit's answers (`audit_csv`): the audit's results file (bot/audit/use_cases.py), the
  DSL, deputies and headteacher only, as for the web chat's download and the "audit results"
  command; recorded as `audit_exported`, as a download from the web chat is;
- a case's chronology (`case_chronology`): the chronology export (bot/cases/export.py), whoever
  may view that case, as for every case action and the web chat's download; a refusal is
  recorded by it, as that download's is, and the export as `exported`, with the channel;
- the filtering checks' spreadsheet and the filtering and monitoring review's PDF and checks
  (bot/channels/teams/monitoring_files.py).

The export is recorded after the upload succeeded, so a failed one leaves no false entry.

The upload is one PUT of the whole file to uploadInfo.uploadUrl, a OneDrive upload session
("Upload bytes to the upload session", learn.microsoft.com/onedrive/developer/rest-api/api/
driveitem_createuploadsession, which the Teams page links to): Content-Length and Content-Range
`bytes 0-{n-1}/{n}` headers; no Authorization header ("Including the Authorization header when
issuing the PUT call may result in a HTTP 401 Unauthorized response"); the file is complete
when OneDrive answers 201 Created or 200 OK. Anything else (a 202 would mean it wants more
bytes), or no answer within UPLOAD_TIMEOUT (the person is waiting, and Teams wants the invoke
answered), is a failure: the person is told to ask again, and the log has the error's type or
the status only, never the file, its name or the URL. The URL must be https (http to loopback
only, for the tests and the Agents Playground): the file names people.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout

from bot.audit import use_cases as audits
from bot.cases import use_cases as cases
from bot.channels.services import Schools, Services
from bot.channels.teams import monitoring_files
from bot.channels.teams.cards import Json
from bot.channels.teams.files import info_activity
from bot.channels.teams.parse import CHANNEL, FileConsent
from bot.channels.teams.render import render_turn
from bot.delivery.messages import Attachment, FileSource, Notice, User
from bot.settings import is_loopback
from bot.words import strings
from dialogs.prompts import Tone

log = logging.getLogger(__name__)
UPLOAD_TIMEOUT = 8.0  # seconds, the whole PUT: the CSV is a few hundred KB at most
UPLOADED = frozenset({200, 201})


class UploadFailed(Exception):
    """OneDrive did not take the file. The reason is an error's type or a status: safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Refused:
    """The person may not have the file (the refusal is logged): what to tell them."""

    text: str


class FileConsents:
    def __init__(self, schools: Schools, *, timeout: float = UPLOAD_TIMEOUT) -> None:
        self.schools = schools  # the file's school's use cases make it (its source says which)
        self.timeout = timeout

    async def _services(self, source: FileSource, email: str) -> Services:
        return await self.schools.of(
            channel=CHANNEL, conversation_key=email, email=email, key=source.school
        )

    async def answer(self, consent: FileConsent, user: User) -> list[Json]:
        """What to send back to `user`, who pressed Allow or Decline on a file consent card."""
        source, upload = consent.source, consent.upload
        if not consent.accepted:
            return _notice(strings.TEAMS_FILE_DECLINED.format(again=_again(source)), "info")
        if source is None or upload is None:
            return _notice(strings.TEAMS_FILE_GONE_ANY, "info")
        made = await self._made(source, user.email)
        if isinstance(made, _Refused):
            return _notice(made.text, "error")
        if made is None:
            return _notice(strings.TEAMS_FILE_GONE[source.kind], "info")
        try:
            await put_file(upload.upload_url, made.data, seconds=self.timeout)
        except UploadFailed as failure:
            log.warning("Teams file upload to OneDrive failed: %s", failure.reason)
            return not_saved(source)
        await self._record(source, user.email, made.filename)
        log.info("%s saved to OneDrive id=%s", source.kind, source.id)
        return [info_activity(upload)]

    async def _made(self, source: FileSource, email: str) -> Attachment | _Refused | None:
        """The file `source` names, made from the database now for `email` if they may have
        it; None if it is gone. Nothing is recorded yet but a refusal: the export is recorded
        once OneDrive took the file (`_record`)."""
        services = await self._services(source, email)
        async with services.sessions() as session, session.begin():
            # A refusal returns normally, so its "refused" entry is committed.
            if source.kind in monitoring_files.KINDS:
                found = await monitoring_files.made(services, session, source, email, CHANNEL)
                if isinstance(found, monitoring_files.NotAllowed):
                    return _Refused(str(found))
                return found
            if source.kind == "case_chronology":
                chronology = await services.cases.export_chronology(
                    session,
                    case_id=source.id,
                    actor=email,
                    channel=CHANNEL,
                    fmt="csv",
                    now=services.clock(),
                    record=False,
                )
                if isinstance(chronology, cases.Chronology):
                    return cases.chronology_attachment(chronology)
                if chronology.reason == "no_such_case":
                    return None
                log.warning("Teams file consent refused: may not view the case")
                return _Refused(strings.TEAMS_CASE_FILE_NOT_ALLOWED)
            results = await services.audits.results_file(
                session,
                campaign_id=source.id,
                actor=email,
                file="results.csv",
                channel=CHANNEL,
                now=services.clock(),
                record=False,
            )
        if not isinstance(results, audits.Refused):  # the self-audit's, or a briefing's
            return results.csv_attachment()
        if results.reason == "no_such_campaign":
            return None
        log.warning("Teams file consent refused: not one of the results' readers")
        return _Refused(strings.TEAMS_FILE_NOT_ALLOWED)

    async def _record(self, source: FileSource, email: str, filename: str) -> None:
        """The file reached the person's OneDrive: recorded as its download from the web chat
        is, with the channel."""
        services = await self._services(source, email)
        now = services.clock()
        async with services.sessions() as session, session.begin():
            if source.kind in monitoring_files.KINDS:
                await monitoring_files.record(services, session, source, email, CHANNEL, filename)
                return
            if source.kind == "case_chronology":
                await services.cases.record_chronology_export(
                    session, case_id=source.id, actor=email, channel=CHANNEL, fmt="csv", now=now
                )
                return
            await services.audits.record_results_export(
                session,
                campaign_id=source.id,
                actor=email,
                file="results.csv",
                channel=CHANNEL,
                now=now,
            )


def not_saved(source: FileSource | None) -> list[Json]:
    """The word that the file did not reach OneDrive, and how to have it offered again."""
    return _notice(strings.TEAMS_FILE_NOT_SAVED.format(again=_again(source)), "error")


def _again(source: FileSource | None) -> str:
    if source is None:
        return strings.TEAMS_FILE_AGAIN_ANY
    return strings.TEAMS_FILE_AGAIN.get(source.kind, strings.TEAMS_FILE_AGAIN_ANY)


async def put_file(url: str, data: bytes, *, seconds: float) -> None:
    """PUT the whole of `data` to a OneDrive upload session within `seconds`; UploadFailed if
    it was not taken."""
    if not _safe(url):
        raise UploadFailed("upload URL is not https")
    size = len(data)
    headers = {"Content-Length": str(size), "Content-Range": f"bytes 0-{size - 1}/{size}"}
    try:
        async with (
            ClientSession(timeout=ClientTimeout(total=seconds)) as http,
            http.put(url, data=data, headers=headers, allow_redirects=False) as response,
        ):
            status = response.status
    except (ClientError, TimeoutError) as error:
        raise UploadFailed(type(error).__name__) from None
    if status not in UPLOADED:
        raise UploadFailed(f"OneDrive answered {status}")


def _safe(url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme == "https" and host:
        return True
    return parts.scheme == "http" and bool(host) and is_loopback(str(host))


def _notice(text: str, tone: Tone) -> list[Json]:
    return render_turn([Notice(text, tone)])
