"""The answer to a file consent card (bot/channels/teams/files.py): on Allow, the file is made
afresh and PUT into the person's OneDrive, then shown with a file info card; on Decline, a
short word to say so and how to get it again.

Nothing in the card's context is trusted. On Allow the person is checked on the server, by the
school's configuration as it is now, with the rule of the web chat's download (bot/channels/
web/audit_routes.py) and the "audit results" command: the DSL, deputies and headteacher only.
The file is made from the database, as it is now, and its export recorded (`audit_exported`,
as a download from the web chat is), after the upload succeeded.

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

import ipaddress
import logging
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout

from bot import strings
from bot.audit_commands import RESULT_ROLES
from bot.channels.teams.cards import Json
from bot.channels.teams.files import info_activity
from bot.channels.teams.parse import FileConsent
from bot.channels.teams.render import render_turn
from bot.messages import Attachment, FileSource, Notice, User
from bot.router import Router
from bot.services.audit import present, results
from bot.services.events import record_event
from dialogs.prompts import Tone

log = logging.getLogger(__name__)
UPLOAD_TIMEOUT = 8.0  # seconds, the whole PUT: the CSV is a few hundred KB at most
UPLOADED = frozenset({200, 201})
EXPORTED_FILE = {"audit_csv": "results.csv"}  # as the web chat's download records it


class UploadFailed(Exception):
    """OneDrive did not take the file. The reason is an error's type or a status: safe to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FileConsents:
    def __init__(self, router: Router, *, timeout: float = UPLOAD_TIMEOUT) -> None:
        self.router = router
        self.timeout = timeout

    async def answer(self, consent: FileConsent, user: User) -> list[Json]:
        """What to send back to `user`, who pressed Allow or Decline on a file consent card."""
        if not consent.accepted:
            return _notice(strings.TEAMS_FILE_DECLINED, "info")
        if not self.router.audits.allowed(user.email, RESULT_ROLES):
            log.warning("Teams file consent refused: not one of the results' readers")
            return _notice(strings.TEAMS_FILE_NOT_ALLOWED, "error")
        source, upload = consent.source, consent.upload
        made = await self._made(source) if source is not None else None
        if source is None or upload is None or made is None:
            return _notice(strings.TEAMS_FILE_GONE, "info")
        try:
            await put_file(upload.upload_url, made.data, seconds=self.timeout)
        except UploadFailed as failure:
            log.warning("Teams file upload to OneDrive failed: %s", failure.reason)
            return _notice(strings.TEAMS_FILE_NOT_SAVED, "error")
        async with self.router.sessions() as session, session.begin():
            await record_event(
                session,
                kind="audit_exported",
                at=self.router.clock(),
                actor_email=user.email,
                detail={
                    "campaign_id": source.campaign_id,
                    "file": EXPORTED_FILE[source.kind],
                    "channel": "teams",
                },
            )
        log.info("audit results saved to OneDrive campaign_id=%s", source.campaign_id)
        return [info_activity(upload)]

    async def _made(self, source: FileSource) -> Attachment | None:
        """The file `source` names, made from the database now; None if it is gone."""
        router = self.router
        async with router.sessions() as session:
            try:
                found = await results.campaign_results(session, router.cipher, source.campaign_id)
            except results.CampaignNotFound:
                return None
        return present.csv_attachment(found, tz=router.school.tz)


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
    if parts.scheme != "http" or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _notice(text: str, tone: Tone) -> list[Json]:
    return render_turn([Notice(text, tone)])
