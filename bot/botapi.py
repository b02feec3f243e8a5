"""How the bot talks to the Bot API: PTB's requests over aiohttp, and PTB's flood limit counting
messages, not edits.

The transport.
Every step of a conversation makes two Bot API calls or so (answer the press, take the buttons
off the question answered, send the next one). Through httpx (httpcore, anyio, h11) one call
cost about 1.1 ms of CPU, more than the database's part of a step; through aiohttp 0.5 ms (0.4
on uvloop), PTB's own work (the request's JSON, the answer's objects) included: measured with
1,000 sendMessage calls to the fake server (docs/BENCHMARKS.md, section 1).

`AiohttpRequest` does what PTB's HTTPXRequest does for this bot: form fields, or multipart when
a file goes (bytes or an open file, rewound first, as httpx does, so that a call PTB repeats
after a RetryAfter sends the whole file again); the same default timeouts; errors as PTB's
(TimedOut, NetworkError); Telegram's answers are judged by PTB (BaseRequest) as before.

The flood limit. Telegram takes about 30 messages a second from a bot into different chats.
PTB's AIORateLimiter counts every call that names a chat against those 30, edits included; a
step of a conversation takes the buttons off the question answered (an edit) and sends the next
question, so at 22 steps a second it counted 37 "messages" and held the replies in a queue.
`MessageRateLimiter` counts messages only: an edit of a message in a private chat is not held
by the overall bucket. A group's own limit (20 a minute) still counts everything in it, and a
RetryAfter, should Telegram answer one to an edit, is waited out and retried as for any call.
"""

from __future__ import annotations

import io
from typing import Any

import aiohttp
import yarl
from telegram.error import NetworkError, TimedOut
from telegram.ext import AIORateLimiter
from telegram.request import BaseRequest, RequestData

# PTB's defaults (HTTPXRequest; ApplicationBuilder: 256 connections, 1 for getUpdates).
CONNECT, READ, WRITE, POOL, MEDIA_WRITE = 5.0, 5.0, 5.0, 1.0, 20.0
MAX_URLS = 256  # parsed URLs kept (the Bot API has about 150 methods)


class AiohttpRequest(BaseRequest):
    """A BaseRequest on one aiohttp session, opened by `initialize` (in the running loop)."""

    __slots__ = (
        "_connect",
        "_limit",
        "_media_write",
        "_pool",
        "_read",
        "_session",
        "_urls",
        "_write",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        read_timeout: float | None = READ,
        write_timeout: float | None = WRITE,
        connect_timeout: float | None = CONNECT,
        pool_timeout: float | None = POOL,
        media_write_timeout: float | None = MEDIA_WRITE,
    ) -> None:
        self._limit = connection_pool_size
        self._read, self._write, self._media_write = (
            read_timeout,
            write_timeout,
            media_write_timeout,
        )
        self._connect, self._pool = connect_timeout, pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._urls: dict[str, yarl.URL] = {}  # each method's URL, parsed once

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limit),
                timeout=aiohttp.ClientTimeout(total=None),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        fields = request_data.json_parameters if request_data else None
        read = self._read if _default(read_timeout) else read_timeout
        write = (
            (self._media_write if files else self._write)
            if _default(write_timeout)
            else write_timeout
        )
        connect = self._connect if _default(connect_timeout) else connect_timeout
        pool = self._pool if _default(pool_timeout) else pool_timeout
        timeout = aiohttp.ClientTimeout(
            total=_sum(read, write, connect, pool),  # aiohttp has no write timeout of its own
            connect=_sum(connect, pool),  # a free connection, then connecting
            sock_connect=connect,
            sock_read=read,
        )
        body: Any = _multipart(fields, files) if files else fields
        parsed = self._urls.get(url)
        if parsed is None:
            parsed = yarl.URL(url)
            if len(self._urls) < MAX_URLS:  # the methods; a file's download URL is one of many
                self._urls[url] = parsed
        try:
            async with self._session.request(
                method, parsed, data=body, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's timeouts (asyncio.TimeoutError is this one)
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{error.__class__.__name__}: {error}") from error


def _default(value: object) -> bool:
    return isinstance(value, type(BaseRequest.DEFAULT_NONE))  # PTB's DefaultValue


def _sum(*timeouts: float | None) -> float | None:
    return None if any(t is None for t in timeouts) else sum(t for t in timeouts if t)


def _multipart(
    fields: dict[str, str] | None, files: dict[str, tuple[str, Any, str]]
) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False)
    for name, value in (fields or {}).items():
        form.add_field(name, value)
    for name, part in files.items():
        filename, content, mimetype = part
        if isinstance(content, io.IOBase) and content.seekable():
            content.seek(0)
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


# Calls that change a message already sent: no new message reaches anyone.
EDITS = frozenset({"editMessageText", "editMessageReplyMarkup"})


class MessageRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter, with edits in private chats left out of the overall bucket."""

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        if endpoint in EDITS and _private(data.get("chat_id")):
            # Only the limiter reads `data` (the call has its own arguments): without a chat it
            # applies no bucket, and still waits out a RetryAfter and retries.
            data = {key: value for key, value in data.items() if key != "chat_id"}
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


def _private(chat_id: object) -> bool:
    """A private chat's id is the user's, positive; groups and channels are negative (or an
    @username)."""
    try:
        return int(chat_id) > 0  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False
