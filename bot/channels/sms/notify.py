"""GOV.UK Notify as the SMS provider: its REST API's "send a text message".

Documented at https://docs.notifications.service.gov.uk/rest-api.html ("Send a text message",
"Headers", "Error codes"):

- POST {base}/v2/notifications/sms, JSON `{"phone_number", "template_id", "personalisation",
  "reference"}`; 201 with the notification's `id` when accepted.
- Authorization: `Bearer <JWT>`, the JWT HS256-signed with the key's secret, claims `iss` (the
  service id) and `iat` (now, in epoch seconds; refused if more than 30 s off). An API key is
  `{key_name}-{service_id}-{secret_key}`, the last two UUIDs.
- Refusals: a JSON body `{"status_code": N, "errors": [{"error": "...", "message": "..."}]}`:
  400 BadRequestError (a bad number, a team key or trial mode sending to someone outside the
  team), 403 AuthError (a bad or expired token), 429 RateLimitError or TooManyRequestsError
  (per-key rate limit, or the day's limit), 500 Exception (Notify's own fault).

Every refusal is retried by the outbox (RetryLater): only Notify's 201 counts as sent.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import jwt

from bot.delivery.notifier import RetryLater

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_API_KEY = re.compile(rf".+-(?P<service>{_UUID})-(?P<secret>{_UUID})")
# Notify documents no Retry-After; its rate limit is per 10 s window (per minute for some keys).
_RATE_LIMITED_RETRY = 10.0


class NotifyKeyError(ValueError):
    """The API key is not in Notify's format (said at start, never with the key)."""


class NotifySms:
    """GOV.UK Notify's text messages, with a template whose body is ((message))."""

    def __init__(
        self,
        *,
        api_key: str,
        template_id: str,
        base_url: str = "https://api.notifications.service.gov.uk",
        timeout: float = 10.0,
        epoch: Callable[[], float] = time.time,
    ) -> None:
        found = _API_KEY.fullmatch(api_key.strip())
        if found is None:
            raise NotifyKeyError(
                "NOTIFY_API_KEY is not a GOV.UK Notify API key "
                "({key_name}-{service_id}-{secret_key}); copy it again from Notify"
            )
        self._service_id, self._secret = found["service"], found["secret"]
        self.template_id = template_id
        self.url = base_url.rstrip("/") + "/v2/notifications/sms"
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        # The token is checked against Notify's own clock: the real time, not the bot's.
        self._epoch = epoch

    def token(self) -> str:
        """A fresh token for one request (one older than 30 s is refused)."""
        claims = {"iss": self._service_id, "iat": int(self._epoch())}
        return jwt.encode(claims, self._secret, algorithm="HS256")

    async def send(self, *, phone: str, text: str, reference: str) -> str:
        body = {
            "phone_number": phone,
            "template_id": self.template_id,
            "personalisation": {"message": text},
            "reference": reference,
        }
        headers = {"Authorization": f"Bearer {self.token()}"}
        try:
            async with (
                aiohttp.ClientSession(timeout=self.timeout) as http,
                http.post(self.url, json=body, headers=headers) as response,
            ):
                status = response.status
                answer = await _json(response)
                retry_after = response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError) as failure:
            raise RetryLater(f"Notify could not be reached ({type(failure).__name__})") from None
        if status == 201 and isinstance(answer.get("id"), str):
            return str(answer["id"])
        raise RetryLater(_refusal(status, answer), _after(status, retry_after))


async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        answer = await response.json(content_type=None)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _refusal(status: int, answer: dict[str, Any]) -> str:
    """Notify's error names (never its messages: a 400's may quote the phone number)."""
    errors = answer.get("errors")
    names = [str(e.get("error")) for e in errors if isinstance(e, dict)] if errors else []
    return f"Notify refused it ({status} {', '.join(names) or 'no error given'})"


def _after(status: int, retry_after: str | None) -> float | None:
    if status != 429:
        return None
    try:
        return max(float(retry_after), 1.0) if retry_after else _RATE_LIMITED_RETRY
    except ValueError:
        return _RATE_LIMITED_RETRY
