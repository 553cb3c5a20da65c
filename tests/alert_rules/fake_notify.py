"""A fake of GOV.UK Notify's "send a text message" on loopback, refusing as Notify refuses.

From Notify's REST API documentation, https://docs.notifications.service.gov.uk/rest-api.html
("Headers", "Send a text message", its "Response" and "Error codes"):

- POST /v2/notifications/sms with a JSON body: phone_number and template_id required,
  personalisation and reference optional. 201 with {id, reference, content: {body,
  from_number}, uri, template: {id, version, uri}}.
- Authorization: Bearer <JWT>, HS256 with the API key's secret, claims iss (the service id)
  and iat (epoch seconds, refused if more than 30 s from Notify's clock).
- Refusals carry {"status_code": N, "errors": [{"error": NAME, "message": TEXT}]}: 400
  BadRequestError / ValidationError, 401 and 403 AuthError, 429 RateLimitError or
  TooManyRequestsError, 500 Exception "Internal server error".

The tests queue refusals (`refuse`) to see the bot retry them; everything else is checked as
Notify checks it, so a bad token or body is refused here too.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"school_alerts-{SERVICE_ID}-{SECRET}"  # {key_name}-{service_id}-{secret_key}
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"

MESSAGES = {
    400: ("BadRequestError", "Can't send to this recipient using a team-only API key"),
    403: ("AuthError", "Invalid token: API key not found"),
    429: (
        "RateLimitError",
        "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
    ),
    500: ("Exception", "Internal server error"),
}


def _error(status: int, name: str, message: str) -> web.Response:
    body = {"status_code": status, "errors": [{"error": name, "message": message}]}
    return web.json_response(body, status=status)


@dataclass
class FakeNotify:
    """What was sent (the accepted requests' bodies) and the refusals still to give."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    requests: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v2/notifications/sms", self.send_sms)
        return app

    def refuse(self, *statuses: int) -> None:
        self.refusals.extend(statuses)

    async def send_sms(self, request: web.Request) -> web.Response:
        self.requests += 1
        refused = self._check_token(request.headers.get("Authorization", ""))
        if refused is not None:
            return refused
        if self.refusals:
            status = self.refusals.pop(0)
            self.refused.append(status)
            return _error(status, *MESSAGES[status])
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "BadRequestError", "Invalid JSON supplied in POST data")
        for name in ("phone_number", "template_id"):
            if not isinstance(body.get(name), str):
                return _error(400, "ValidationError", f"{name} is a required property")
        if body["template_id"] != TEMPLATE_ID:
            return _error(400, "BadRequestError", "Template not found")
        digits = re.sub(r"[ ()+-]", "", body["phone_number"])
        if not digits.isdigit() or not 10 <= len(digits) <= 15:
            return _error(400, "ValidationError", "phone_number Not a valid phone number")
        self.sent.append(body)
        notification = str(uuid.uuid4())
        text = str((body.get("personalisation") or {}).get("message", ""))
        return web.json_response(
            {
                "id": notification,
                "reference": body.get("reference"),
                "content": {"body": text, "from_number": "GOVUK"},
                "uri": f"https://api.notifications.service.gov.uk/v2/notifications/{notification}",
                "template": {"id": TEMPLATE_ID, "version": 1, "uri": "https://example.invalid/t"},
            },
            status=201,
        )

    def _check_token(self, header: str) -> web.Response | None:
        if not header:
            return _error(401, "AuthError", "Unauthorized: authentication token must be provided")
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer":
            return _error(
                401, "AuthError", "Unauthorized: authentication bearer scheme must be used"
            )
        try:
            claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_iat": False})
        except jwt.InvalidTokenError:
            return _error(403, "AuthError", "Invalid token: signature, api token not found")
        if claims.get("iss") != SERVICE_ID:
            return _error(403, "AuthError", "Invalid token: service not found")
        if abs(time.time() - float(claims.get("iat", 0))) > 30:
            return _error(
                403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds"
            )
        return None
