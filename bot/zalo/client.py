"""A thin client of the Zalo Bot API over httpx: POST JSON to ``{base}/bot{token}/{method}``.

Why not the SDK, ``python-zalo-bot`` (0.1.9, read for this module): it is a cut-down copy of
python-telegram-bot 21.6 (its _version.py still says so, and sends it as the User-Agent) with
PTB's whole request stack (BaseRequest, HTTPXRequest, RequestData, DefaultValue): ~7,000
lines, most of them Telegram left-overs (passport credentials, stickers, input media, message
entities) that Zalo does not have. Where a bot needs it, it falls short:
- its default host is the older ``https://bot-api.zapps.me``;
- it posts form fields, not the documented JSON, with ``Connection: close`` on every call (a
  new TLS handshake each time); no per-call timeouts on the send methods;
- on HTTP 200 it returns ``result`` without looking at ``ok``, so a refusal answered with 200
  reads as "no result"; a 408 "nothing yet" from getUpdates raises a NetworkError;
- ``set_webhook``, ``delete_webhook`` and ``get_webhook_info`` are synchronous, through
  ``asyncio.run``, so they cannot be called from a running bot;
- ``Bot.initialize`` puts the token in its InvalidToken message; ``_do_post`` logs every call's
  parameters (people's words) at DEBUG, an unparsable event is logged whole at CRITICAL, an
  unreadable answer whole with its traceback;
- message dates are naive local times; ``_insert_defaults`` calls ``copy.copy`` on the
  function it imported as ``copy``;
- its package metadata still points at ``github.com/yourusername/python-zalo-bot``.
The API itself is a few JSON POSTs: this module is them, with errors as exceptions whose text
never holds the token, and the leniency the uncertain API needs (see bot/zalo/events.py).

Errors: every refusal is a ZaloError (``code``, ``description``); 429 is ZaloRetryAfter;
a network failure or timeout is ZaloNetworkError (code 0).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from types import TracebackType
from typing import Any

import httpx

from bot.zalo.events import ZaloEvent, parse_event

DEFAULT_BASE = "https://bot-api.zaloplatforms.com"
DEFAULT_RETRY_AFTER = 5.0  # seconds, when a 429 does not say
POLL_GRACE = 10.0  # seconds the HTTP read may take beyond a long poll's own timeout
REDACTED = "***"

_MAX_DESCRIPTION = 300

# Which refusals mean "this person cannot be written to" is not documented: a guess, on purpose
# generous (a person wrongly listed as unreachable gets a phone call; a bug hidden so is found
# in the logs, where the description is). 403 always; 400 or 404 when the description blames
# the person: blocked, never interacted, not following, or the chat/user not found/not existing
# (in English or Vietnamese).
_ABOUT_PERSON = re.compile(
    r"chat|user|recipient|receiver|follower|member|person|người|tài khoản", re.IGNORECASE
)
_CANNOT_REACH = re.compile(
    r"not found|not exist|does ?n.t exist|no such|invalid|deactivated|deleted|disabled"
    r"|không tồn tại|không tìm thấy",
    re.IGNORECASE,
)
_REFUSED_BY_PERSON = re.compile(
    r"block|never|interact|unfollow|not follow|not allowed to send|cannot send|can.t send"
    r"|chặn|chưa tương tác|chưa nhắn|không cho phép",
    re.IGNORECASE,
)


class ZaloError(Exception):
    """A call the Bot API refused (or that failed). ``str()`` holds neither token nor URL."""

    def __init__(self, code: int, description: str, method: str = "") -> None:
        super().__init__(code, description, method)
        self.code = code
        self.description = description
        self.method = method

    def __str__(self) -> str:
        where = f"{self.method}: " if self.method else ""
        return f"Zalo {where}{self.code} {self.description}"

    @property
    def unreachable(self) -> bool:
        """The person cannot be written to (a guess: see the comment above _ABOUT_PERSON)."""
        if self.code == 403:
            return True
        if self.code not in (400, 404):
            return False
        text = self.description
        return bool(
            _REFUSED_BY_PERSON.search(text)
            or (_ABOUT_PERSON.search(text) and _CANNOT_REACH.search(text))
        )


class ZaloRetryAfter(ZaloError):
    """429: too many requests; wait `retry_after` seconds."""

    def __init__(self, retry_after: float, description: str, method: str = "") -> None:
        super().__init__(429, description, method)
        self.retry_after = retry_after
        self.args = (retry_after, description, method)  # what __init__ takes (for pickling)


class ZaloNetworkError(ZaloError):
    """The API could not be reached or did not answer in time (code 0)."""

    def __init__(self, description: str, method: str = "") -> None:
        super().__init__(0, description, method)
        self.args = (description, method)


class ZaloClient:
    """See the module docstring. One client per token; ``aclose`` (or ``async with``) at the end.

    `http`: a shared httpx.AsyncClient (then the caller closes it), e.g. one with a mock
    transport in tests; by default the client makes its own."""

    def __init__(
        self, token: str, base_url: str = DEFAULT_BASE, *, http: httpx.AsyncClient | None = None
    ) -> None:
        if not token:
            raise ValueError("a Zalo bot token is needed")
        self._token = token
        self._base = base_url.rstrip("/")
        self._own_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(follow_redirects=False)
        self._closed = False
        _httpx_redactor.add(token)

    def __repr__(self) -> str:
        return f"ZaloClient(base_url={self._base!r})"

    async def __aenter__(self) -> ZaloClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._own_http:
            await self._http.aclose()
        _httpx_redactor.discard(self._token)

    # ---------------------------------------------------------------- the API

    async def call(self, method: str, body: dict | None = None, *, timeout: float = 10.0) -> Any:
        """POST `body` as JSON to `method`; its ``result``, or a ZaloError."""
        url = f"{self._base}/bot{self._token}/{method}"
        try:
            response = await self._http.post(url, json=body or {}, timeout=timeout)
        except httpx.TimeoutException:
            raise ZaloNetworkError("timed out", method) from None
        except httpx.HTTPError as exc:
            raise ZaloNetworkError(self._clean(f"{type(exc).__name__}: {exc}"), method) from None
        except httpx.InvalidURL as exc:  # a base_url that is no URL: not an HTTPError in httpx
            raise ZaloError(0, self._clean(f"invalid URL: {exc}"), method) from None
        return self._result(method, response)

    async def get_me(self) -> dict:
        result = await self.call("getMe")
        if not isinstance(result, dict):
            raise ZaloError(0, "unexpected answer", "getMe")
        return result

    async def get_updates(self, timeout: int = 30) -> list[ZaloEvent]:
        """The events Zalo has (at most one, as Zalo gives them), waiting up to `timeout` s.

        "Nothing yet", as an error 408 or as ``ok`` with an empty or null result, is [].
        Zalo's answer is one event; a list is read too. What cannot be read is dropped (and
        warned about once per shape by parse_event). A read timeout is a ZaloNetworkError."""
        try:
            result = await self.call(
                "getUpdates", {"timeout": timeout}, timeout=timeout + POLL_GRACE
            )
        except ZaloError as exc:
            if exc.code == 408:
                return []
            raise
        items = result if isinstance(result, list) else [result]
        return [event for event in map(parse_event, items) if event is not None]

    async def send_message(self, chat_id: str, text: str) -> str:
        """Send plain text (1 to 2,000 characters, see bot.zalo.text); the new message's id."""
        return _message_id(await self.call("sendMessage", {"chat_id": chat_id, "text": text}))

    async def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> str:
        """Send the picture at `photo_url` (Zalo fetches it: a public http(s) URL)."""
        body = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            body["caption"] = caption
        return _message_id(await self.call("sendPhoto", body))

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})

    async def set_webhook(self, url: str, secret_token: str) -> None:
        """Zalo POSTs each event to `url` with the header X-Bot-Api-Secret-Token: secret_token
        (8 to 256 characters). getUpdates fails while a webhook is set."""
        await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> None:
        await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict:
        """``{"url": ..., "updated_at": <ms>}``; the url is empty with no webhook."""
        result = await self.call("getWebhookInfo")
        return result if isinstance(result, dict) else {}

    async def download(self, url: str, max_bytes: int = 10 * 1024 * 1024) -> bytes:
        """The file at `url` (a photo a user sent): a plain GET, without the token. ZaloError
        when it fails or holds more than `max_bytes` (the URL is not in the error either:
        a signed link is as good as a password while it lasts)."""
        if not url.lower().startswith(("https://", "http://")):
            raise ZaloError(400, "not an http(s) URL", "download")
        try:
            request = self._http.stream("GET", url, timeout=30.0, follow_redirects=True)
            async with request as response:
                if response.status_code != 200:
                    raise ZaloError(response.status_code, "download failed", "download")
                return await _read_capped(response, max_bytes)
        except httpx.TimeoutException:
            raise ZaloNetworkError("download timed out", "download") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise ZaloNetworkError(f"download failed: {type(exc).__name__}", "download") from None

    # ---------------------------------------------------------------- answers

    def _result(self, method: str, response: httpx.Response) -> Any:
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            code = response.status_code if response.status_code >= 300 else 0
            raise ZaloError(code, f"unreadable answer (HTTP {response.status_code})", method)
        if answer.get("ok") is True:
            return answer.get("result")
        code = _int(answer.get("error_code")) or response.status_code
        description = self._clean(str(answer.get("description") or "no description"))
        if code == 429:
            raise ZaloRetryAfter(_retry_after(answer), description, method)
        raise ZaloError(code, description, method)

    def _clean(self, text: str) -> str:
        """`text` without the token, shortened: it goes into exceptions and so into logs."""
        return text.replace(self._token, REDACTED)[:_MAX_DESCRIPTION]


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = _int(response.headers.get("content-length"))
    if declared > max_bytes:
        raise ZaloError(413, f"file too large ({declared} bytes)", "download")
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise ZaloError(413, f"file too large (over {max_bytes} bytes)", "download")
        chunks.append(chunk)
    return b"".join(chunks)


def _message_id(result: Any) -> str:
    """The sent message's id; "" when Zalo does not say (it was sent: no error to retry on)."""
    if isinstance(result, dict):
        value = result.get("message_id")
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    return ""


def _retry_after(answer: dict) -> float:
    parameters = answer.get("parameters")
    value = parameters.get("retry_after") if isinstance(parameters, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return DEFAULT_RETRY_AFTER


def _int(value: object) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return 0


class _RedactTokens(logging.Filter):
    """httpx logs each request's URL at INFO, and the URL holds the token: the tokens of the
    live clients are replaced by *** in those records, whatever the application's logging."""

    def __init__(self) -> None:
        super().__init__()
        self._tokens: Counter[str] = Counter()

    def add(self, token: str) -> None:
        self._tokens[token] += 1

    def discard(self, token: str) -> None:
        self._tokens[token] -= 1
        if self._tokens[token] <= 0:
            del self._tokens[token]

    def filter(self, record: logging.LogRecord) -> bool:
        tokens = list(self._tokens)
        if not tokens:
            return True
        message = record.getMessage()
        clean = message
        for token in tokens:
            clean = clean.replace(token, REDACTED)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


_httpx_redactor = _RedactTokens()
logging.getLogger("httpx").addFilter(_httpx_redactor)
