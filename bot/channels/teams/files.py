"""Files for Teams, through its file consent flow: a card's file that can be made again (the
self-audit's CSV, a case's chronology) is offered with a file consent card; once the person
presses Allow, the bot PUTs the file into their OneDrive (bot/channels/teams/file_consent.py)
and shows it with a file info card. Pure: no I/O.

The shapes are Microsoft's, "Send and receive files using bot" (learn.microsoft.com/
microsoftteams/platform/bots/how-to/bots-filesv4; MicrosoftDocs/msteams-docs, msteams-platform/
bots/how-to/bots-filesv4.md), for the personal scope only, with `"supportsFiles": true` in the
manifest:

- the consent card: an attachment of contentType CONSENT_CARD with the file's `name`, and
  `content` {description, sizeInBytes, acceptContext, declineContext}; the two contexts come
  back, as they are, in the invoke that answers it;
- the answer: an `invoke` named "fileConsent/invoke" (parse.py), value {type: "fileUpload",
  action: "accept" | "decline", context, uploadInfo: {contentUrl, name, uploadUrl, uniqueId,
  fileType}} (uploadInfo on accept only);
- the file info card: an attachment of contentType INFO_CARD with contentUrl and name from the
  uploadInfo, and `content` {uniqueId, fileType}.

The context holds what the file is (parse.file_context: its kind and id, a self-audit's
campaign or a case), never its contents, names or anything written: the answer may reach
another replica, hours later, and the file is made afresh then, for whoever is allowed it then.
sizeInBytes is the size now, which the docs call the user's "estimate of the file size":
answers given meanwhile change it a little.
"""

from __future__ import annotations

from bot.channels.teams.cards import Json, shorten
from bot.channels.teams.parse import UploadInfo, file_context
from bot.delivery.messages import Attachment
from bot.words import strings

CONSENT_CARD = "application/vnd.microsoft.teams.card.file.consent"
INFO_CARD = "application/vnd.microsoft.teams.card.file.info"
SUMMARY_MAX = 200  # ours, as render.SUMMARY_MAX: a notification's preview line
NAME_MAX = 200  # ours: a file's name as offered


def consent_activity(attachment: Attachment) -> Json | None:
    """The message that offers `attachment` to be saved to the person's OneDrive; None if it
    cannot be made again later (it has no source), or is a picture (shown in the chat)."""
    source = attachment.source
    if source is None or attachment.is_image:
        return None
    context = file_context(source)
    return {
        "type": "message",
        "summary": shorten(attachment.title, SUMMARY_MAX),
        "attachments": [
            {
                "contentType": CONSENT_CARD,
                "name": shorten(attachment.filename, NAME_MAX),
                "content": {
                    "description": strings.TEAMS_FILE_OFFER.format(title=attachment.title),
                    "sizeInBytes": len(attachment.data),
                    "acceptContext": context,
                    "declineContext": context,
                },
            }
        ],
    }


def info_activity(upload: UploadInfo) -> Json:
    """The message that shows the file just saved: the person opens it, in OneDrive, from it."""
    return {
        "type": "message",
        "summary": shorten(upload.name, SUMMARY_MAX),
        "attachments": [
            {
                "contentType": INFO_CARD,
                "contentUrl": upload.content_url,
                "name": upload.name,
                "content": {"uniqueId": upload.unique_id, "fileType": upload.file_type},
            }
        ],
    }
