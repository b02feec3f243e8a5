"""A small driver for stories told against FakeZaloServer: users who write and read replies.

    driver = ZaloDriver(server, idle=bot_runner.wait_idle)   # idle: optional, see below
    an = driver.user("e4ea2cd5189df1c3a88c", "Nguyễn Văn An")
    an.send("Xin chào")
    assert "Chào" in an.wait_reply().text
    an.send_photo(caption="Ảnh cuộc họp")
    an.wait_for_text("đã nhận ảnh")
    an.assert_no_reply()

Replies are read with a cursor per user: ``wait_reply`` returns the next message the bot sent
this user after the user's last action, one per call. Nothing here sleeps blindly: waits are on
the server's Condition, and "the bot is idle" means no event queued, no request in flight, and
that for a quiet moment; a runner that knows better (e.g. that its handlers are done) passes an
`idle` hook, called after that quiet moment, which should block until the bot is truly idle.

Blocking calls: use them from a test's thread, not from the event loop the bot runs on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fakes.zalo_server import FakeZaloServer, SentMessage

QUIET = 0.3  # seconds without any request in flight that count as "the bot is done"


class ZaloDriver:
    def __init__(
        self, server: FakeZaloServer, idle: Callable[[], None] | None = None, quiet: float = QUIET
    ) -> None:
        self.server = server
        self.idle = idle
        self.quiet = quiet
        self._users: dict[str, ZaloUser] = {}

    def user(self, user_id: str, name: str) -> ZaloUser:
        """The user of that id (the same object for the same id)."""
        if user_id not in self._users:
            self._users[user_id] = ZaloUser(self, user_id, name)
        return self._users[user_id]

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until the bot has fetched every event and answered for `quiet` seconds, then
        call the idle hook; False when `timeout` ran out first."""
        server, deadline = self.server, time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not server.wait_until(server.is_idle, remaining):
                return False
            if not server.wait_until(lambda: not server.is_idle(), min(self.quiet, remaining)):
                break  # idle through the whole quiet moment
        if self.idle is not None:
            self.idle()
        return True


class ZaloUser:
    """One person writing to the bot in their private chat (chat id = user id, as at Zalo)."""

    def __init__(self, driver: ZaloDriver, user_id: str, name: str) -> None:
        self.driver = driver
        self.server = driver.server
        self.user_id = user_id
        self.name = name
        self.actions: list[dict[str, Any]] = []  # the events this user caused, oldest first
        self._since = self.server.last_seq  # replies after this are new
        self._cursor = self._since  # wait_reply's position

    @property
    def chat_id(self) -> str:
        return self.user_id

    # ---------------------------------------------------------------- acting

    def send(self, text: str) -> dict[str, Any]:
        return self._acted(self.server.user_says(self.user_id, text, self.name))

    def send_photo(self, data: bytes | None = None, caption: str | None = None) -> dict[str, Any]:
        return self._acted(self.server.user_sends_photo(self.user_id, data, caption, self.name))

    def send_sticker(self) -> dict[str, Any]:
        return self._acted(self.server.user_sends_sticker(self.user_id, name=self.name))

    def send_unsupported(self) -> dict[str, Any]:
        return self._acted(self.server.user_sends_unsupported(self.user_id, self.name))

    def _acted(self, event: dict[str, Any]) -> dict[str, Any]:
        """From now on, replies count from the event's place in the server's sequence."""
        self._since = self._cursor = self.server.seq_of(event)
        self.actions.append(event)
        return event

    # ---------------------------------------------------------------- reading

    def wait_reply(self, timeout: float = 10.0) -> SentMessage:
        """The next message the bot sent this user since the last action (one per call)."""
        server = self.server
        found = server.wait_until(
            lambda: server.messages_since(self._cursor, self.chat_id), timeout
        )
        if not found:
            raise AssertionError(
                f"no reply to {self.name} within {timeout} s; all so far: {self.texts()}"
            )
        self._cursor = found[0].seq
        return found[0]

    def wait_for_text(self, fragment: str, timeout: float = 10.0) -> SentMessage:
        """The first message since the last action whose text (or caption) holds `fragment`;
        wait_reply then goes on after it."""

        def matching() -> SentMessage | None:
            for message in self.server.messages_since(self._since, self.chat_id):
                if fragment in _text_of(message):
                    return message
            return None

        found = self.server.wait_until(matching, timeout)
        if found is None:
            since = [_text_of(m) for m in self.server.messages_since(self._since, self.chat_id)]
            raise AssertionError(f"no reply with {fragment!r} to {self.name}; got {since}")
        self._cursor = max(self._cursor, found.seq)
        return found

    def messages(self) -> list[SentMessage]:
        """All the bot's messages to this user, oldest first."""
        return self.server.messages(self.chat_id)

    def texts(self) -> list[str]:
        """The text (or a photo's caption, "" without one) of every message to this user."""
        return [_text_of(message) for message in self.messages()]

    def last_text(self) -> str | None:
        texts = self.texts()
        return texts[-1] if texts else None

    def assert_no_reply(self, timeout: float = 5.0) -> None:
        """Once the bot is idle (see ZaloDriver.settle), nothing new was sent to this user
        since the last wait_reply/wait_for_text (or action)."""
        if not self.driver.settle(timeout):
            raise AssertionError(f"the bot did not settle within {timeout} s")
        new = self.server.messages_since(self._cursor, self.chat_id)
        if new:
            raise AssertionError(f"unexpected reply to {self.name}: {[str(m) for m in new]}")


def _text_of(message: SentMessage) -> str:
    if message.text is not None:
        return message.text
    return message.caption or ""
