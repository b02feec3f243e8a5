"""PTB's HTTP layer for the Zalo application's bot: each Bot API request is carried out by the
adapter (bot/zalo/link.py) and answered in Telegram's shape, so PTB (its Bot, rate limiter,
error classes) and every handler work as they do for Telegram."""

from __future__ import annotations

import json
from typing import Any

from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

from bot.zalo.link import Refused, ZaloLink


class ZaloRequest(BaseRequest):
    def __init__(self, link: ZaloLink, read_timeout: float | None = 5.0) -> None:
        self.link = link
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None  # the client is closed with the application (bot/app.py)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]  # the URL holds the token: never logged here
        params = dict(request_data.parameters) if request_data else {}
        files = request_data.multipart_data if request_data and request_data.contains_files else {}
        try:
            result = await self.link.call(endpoint, params, dict(files))
        except Refused as refused:
            answer: dict[str, Any] = {
                "ok": False,
                "error_code": refused.status,
                "description": refused.description,
            }
            if refused.retry_after is not None:
                answer["parameters"] = {"retry_after": refused.retry_after}
            return refused.status, json.dumps(answer).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()
