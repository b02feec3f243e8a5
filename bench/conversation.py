"""Conversation throughput: many secretaries fill in the monthly report at once.

    .venv/bin/python -m bench.conversation --secretaries 50 --db sqlite --db postgresql

The real application (``bot.app.build_application``) runs in a child process, polling the fake
Bot API server (tests/fakes) over HTTP, on a real database; a bare PTB echo bot (one
MessageHandler echoing, one CallbackQueryHandler answering) gets the same load on a fresh fake
server. Each secretary sends the 12 updates of a first report (15 before issue 12), /report to
"Gửi báo cáo", and waits for the bot's reply to each (ours: the next step's text; the echo:
the echo, or the press's answerCallbackQuery). Phases, each with its own secretaries:

- saturation: every secretary acts as soon as her previous step is answered. Gives the updates
  per second.
- paced: every secretary thinks about ``--think`` seconds (0.5 to 1.5 times it, seeded) before
  each step, an offered load of about N ÷ think updates per second. Gives the time per step,
  from the user's update being queued at the server to the bot's reply for that step (both
  instants taken in the fake server, so the driver's own threads do not count).
- saturation of our bot without PTB's flood limit (AIORateLimiter's 30 messages per second
  overall, which caps ours and not the echo): what the application itself can do. The figure,
  ours ÷ echo, compares like with like: this phase against the echo's saturation, each run
  three times (they vary by ±20 % on a shared machine), medians. Ours with the flood limit ÷
  echo is shown too; it measures Telegram's limit more than the application. Beside it, the CPU
  per update of ours over the echo's, at saturation (medians) and paced.

Under saturation the time per step is only Little's law (N ÷ throughput): it measures
throughput again, not how long a person waits; so the p95 target is judged on the paced phase.
"cpu ms/upd" is the bot process's CPU time (/proc) per update; "calls/upd" the Bot API calls per
update, all and those naming a chat (what PTB's flood limit counted). Ours runs as `chibo run`
polls (bot.polling, on bot.loop's event loop); the echo is PTB with its defaults (asyncio's
loop, httpx). At the end every report must be stored and Telegram must have refused nothing.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from queue import Empty, SimpleQueue
from typing import Any
from zoneinfo import ZoneInfo

from fakes.telegram_server import FakeTelegramServer, StoredMessage
from sqlmodel import func, select

from bench.common import add_backend_options, database, machine, percentile, run_backends

TOKEN = "123456:BENCH-token"
# 25 November 2026: only November is open, so /report goes straight to its first step.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
WAIT = 60.0  # seconds a secretary waits for one reply before the run is declared broken
# Telegram ids of each phase's secretaries (each fills in one report, so a phase needs its own).
SATURATION_IDS, PACED_IDS = 100_000, 200_000
UNLIMITED_IDS = (300_000, 400_000, 500_000)  # ours without the limit runs three times
FIRST_IDS = (SATURATION_IDS, PACED_IDS, *UNLIMITED_IDS)
ECHO_REPEATS = {"saturation 2": (SATURATION_IDS, 0.0), "saturation 3": (SATURATION_IDS, 0.0)}
REPEATS = ("saturation", "saturation 2", "saturation 3")


@dataclass(frozen=True)
class Step:
    action: str  # "send" a text or "press" an inline button
    value: str  # the text, or the button's label
    expect: str  # a fragment of our bot's reply to this step


# A usual month, from /report to the reference (as tests/e2e/reporting.py fills it in).
REPORT = (
    Step("send", "/report", "Bước 1/6"),
    Step("press", "Có họp", "Bước 2/6"),
    Step("send", "20/11", "Bước 3/6"),
    Step("press", "Thường kỳ", "Tổng số đảng viên"),
    Step("send", "45", "miễn sinh hoạt"),
    Step("send", "3", "Số đảng viên có mặt"),
    Step("send", "40", "vắng có lý do?"),
    Step("press", "Cả 2 đều có lý do", "vắng không lý do?"),
    Step("press", "0 đồng chí", "Bước 5/6"),
    Step("send", "Triển khai kế hoạch tháng 12", "Bước 6/6"),
    Step("send", "Thống nhất kế hoạch", "Xem lại báo cáo"),
    Step("press", "Gửi báo cáo", "Số tham chiếu"),
)


# --- the bots, each in a child process ----------------------------------------------------------


def serve(kind: str, base_url: str, file_url: str, database_url: str) -> None:
    """Child process: run the echo bot, or ours (`kind` "chibo", or "chibo-unlimited" without
    the rate limiter's overall 30 messages per second), against the fake server until SIGTERM."""
    from telegram import Update

    from bot import polling

    logging.basicConfig(level=logging.WARNING)
    if kind == "echo":  # PTB with its defaults: asyncio's loop, httpx
        _echo_application(base_url).run_polling(allowed_updates=Update.ALL_TYPES)
        return
    if kind == "echo-our-stack":  # the same echo on our loop and Bot API transport
        from bot import loop
        from bot.botapi import AiohttpRequest

        application = _echo_application(base_url, AiohttpRequest(), AiohttpRequest(2))
        loop.run(_poll_echo(application))
        return
    application = _chibo_application(base_url, file_url, database_url, flood_limit=kind == "chibo")
    polling.run_polling(application)  # as `chibo run` polls: its loop (bot.loop), its stop


def _chibo_application(
    base_url: str, file_url: str, database_url: str, *, flood_limit: bool
) -> Any:
    from bot import app
    from bot.botapi import MessageRateLimiter
    from bot.clock import CLOCK
    from bot.config import load_settings

    settings = load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        database_url=database_url,
        telegram_api_base_url=base_url,
        telegram_api_file_url=file_url,
    )
    if not flood_limit:  # this process only: what the application could do without the limit

        def unlimited(**kwargs: Any) -> MessageRateLimiter:
            return MessageRateLimiter(**{**kwargs, "overall_max_rate": 0})

        app.MessageRateLimiter = unlimited  # type: ignore[misc,assignment]
    application = app.build_application(settings)
    application.bot_data[CLOCK] = lambda: NOW
    return application


def _echo_application(base_url: str, request: Any = None, updates_request: Any = None) -> Any:
    from telegram.ext import ApplicationBuilder, CallbackQueryHandler, MessageHandler, filters

    async def echo(update: Any, _context: Any) -> None:
        await update.effective_message.reply_text(update.effective_message.text)

    async def answer(update: Any, _context: Any) -> None:
        await update.callback_query.answer()

    builder = ApplicationBuilder().token(TOKEN).base_url(base_url)
    if request is not None:
        builder = builder.request(request).get_updates_request(updates_request)
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(answer))
    return application


async def _poll_echo(application: Any) -> None:
    """PTB's run_polling, on the running loop, until SIGTERM."""
    import asyncio

    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with application:
        await application.updater.start_polling(allowed_updates=None)
        await application.start()
        await stop.wait()
        await application.updater.stop()
        await application.stop()


# --- Telegram's side ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    at: float  # perf_counter() when the server got the bot's call
    message: StoredMessage | None  # a message sent or edited...
    text: str | None  # ...and its text at that moment
    query: str | None = None  # or the callback query answered


class BenchServer(FakeTelegramServer):
    """The fake server, also putting each of the bot's replies in its chat's inbox, timed.

    Secretaries block on their own inbox: no scanning of every event after every change, so the
    driver costs the same whatever the number of secretaries."""

    def __init__(self) -> None:
        super().__init__()
        self.inboxes: dict[int, SimpleQueue[Reply]] = defaultdict(SimpleQueue)
        self.query_chats: dict[str, int] = {}

    def record(self, action: str, message: StoredMessage) -> None:
        super().record(action, message)
        if action in ("sent", "edited"):
            self.inboxes[message.chat_id].put(Reply(time.perf_counter(), message, message.text))

    def _answer(self, name: str, params: dict[str, Any]) -> Any:
        result = super()._answer(name, params)
        if name.lower() == "answercallbackquery":
            query = params["callback_query_id"]
            self.inboxes[self.query_chats[query]].put(Reply(time.perf_counter(), None, None, query))
        return result


@dataclass
class Secretary:
    """One simulated secretary going through the steps, waiting for each reply."""

    server: BenchServer
    telegram_id: int
    echo: bool  # the echo bot: a text's reply is any message, a press's is its answer
    think: float
    rng: random.Random
    times: list[float] = field(default_factory=list)
    first: float = 0.0
    last: float = 0.0
    error: str | None = None
    _seen: list[StoredMessage] = field(default_factory=list)

    def run(self, start: threading.Barrier) -> None:
        user = {"id": self.telegram_id, "is_bot": False, "first_name": f"Bí thư {self.telegram_id}"}
        with self.server.lock:
            chat = self.server.private_chat(user)
            inbox = self.server.inboxes[self.telegram_id]
        start.wait()
        try:
            for step in REPORT:
                if self.think:
                    time.sleep(self.rng.uniform(0.5, 1.5) * self.think)
                queued, query = self._act(chat, user, step)
                reply = self._wait(inbox, step, queued, query)
                self.times.append(reply.at - queued)
                self.first = self.first or queued
                self.last = reply.at
        except AssertionError as exc:
            self.error = str(exc)

    def _act(self, chat: Any, user: dict, step: Step) -> tuple[float, str | None]:
        """Queue the step's update; return when (the bot cannot see it before) and the query id."""
        with self.server.lock:
            if step.action == "send":
                self.server.receive_message(chat, user, text=step.value)
                return time.perf_counter(), None
            message, data = self._button(step.value)
            query = self.server.receive_callback(user, message, data)
            self.server.query_chats[query] = self.telegram_id
            return time.perf_counter(), query

    def _button(self, label: str) -> tuple[StoredMessage, str]:
        if self.echo:
            return self._seen[-1], label
        for message in reversed(self._seen):
            for button in message.inline_buttons:
                if button.get("text") == label or label in str(button.get("text")):
                    return message, button["callback_data"]
        raise AssertionError(f"{self.telegram_id}: no button {label!r}")

    def _wait(self, inbox: SimpleQueue[Reply], step: Step, queued: float, query: str | None):
        while True:
            try:
                reply = inbox.get(timeout=WAIT)
            except Empty:
                raise AssertionError(
                    f"{self.telegram_id}: no reply to {step} within {WAIT} s"
                ) from None
            if reply.message is not None and reply.message not in self._seen:
                self._seen.append(reply.message)
            if reply.at < queued:
                continue
            if self.echo and (reply.query == query if query else reply.message is not None):
                return reply
            if not self.echo and step.expect in (reply.text or ""):
                return reply


# --- a run ---------------------------------------------------------------------------------------


@dataclass
class Phase:
    secretaries: int
    updates: int
    seconds: float
    updates_per_second: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    bot_cpu_ms_per_update: float
    calls_per_update: float = 0.0  # Bot API calls (getUpdates aside) per update
    chat_calls_per_update: float = 0.0  # of which with a chat_id: what the flood limit counts
    calls: dict[str, int] = field(default_factory=dict)  # by method


def drive(
    server: BenchServer, bot_pid: int, first_id: int, count: int, *, echo: bool, think: float
) -> Phase:
    """`count` secretaries (Telegram ids from `first_id`) each fill in a report, all at once."""
    secretaries = [
        Secretary(server, first_id + n, echo, think, random.Random(first_id + n))
        for n in range(count)
    ]
    start = threading.Barrier(count)
    threads = [threading.Thread(target=s.run, args=(start,), daemon=True) for s in secretaries]
    with server.lock:
        calls_before = len(server.calls)
    cpu_before = cpu_seconds(bot_pid)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu = cpu_seconds(bot_pid) - cpu_before
    with server.lock:
        calls = [c for c in server.calls[calls_before:] if c.method != "getUpdates"]
    chat_calls = sum(1 for call in calls if "chat_id" in call.params)
    errors = [s.error for s in secretaries if s.error]
    if errors:
        raise SystemExit(f"{len(errors)} secretaries failed, first: {errors[0]}")
    times = sorted(t for s in secretaries for t in s.times)
    seconds = max(s.last for s in secretaries) - min(s.first for s in secretaries)
    return Phase(
        secretaries=count,
        updates=len(times),
        seconds=round(seconds, 3),
        updates_per_second=round(len(times) / seconds, 1),
        p50_ms=round(percentile(times, 50) * 1000, 1),
        p95_ms=round(percentile(times, 95) * 1000, 1),
        max_ms=round(times[-1] * 1000, 1),
        bot_cpu_ms_per_update=round(cpu / len(times) * 1000, 1),
        calls_per_update=round(len(calls) / len(times), 2),
        chat_calls_per_update=round(chat_calls / len(times), 2),
        calls=dict(Counter(call.method for call in calls)),
    )


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) process `pid` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_bot(
    kind: str,
    database_url: str,
    count: int,
    plan: dict[str, tuple[int, float]],
    profile: Path | None = None,
) -> dict[str, Phase]:
    """Start the bot in a child process on a fresh fake server, drive the phases of `plan`
    (name: first Telegram id, think time) one after the other, stop it. With `profile`, py-spy
    samples the bot during the first phase (collapsed stacks)."""
    with BenchServer() as server:
        process = multiprocessing.get_context("spawn").Process(
            target=serve, args=(kind, server.base_url, server.file_url, database_url)
        )
        process.start()
        try:
            polling = server.wait_until(lambda: server.calls_of("getUpdates"), 60)
            if not polling:
                raise SystemExit(f"the {kind} bot did not start polling within 60 s")
            phases = {}
            for n, (name, (first_id, think)) in enumerate(plan.items()):
                with sampled(process.pid, profile if n == 0 else None):
                    echo = kind.startswith("echo")
                    phases[name] = drive(
                        server, process.pid, first_id, count, echo=echo, think=think
                    )
            refused = server.api_errors()
            if refused:
                raise SystemExit(f"Telegram refused {len(refused)} calls, first: {refused[0]}")
            return phases
        finally:
            process.terminate()
            process.join(30)
            if process.is_alive():
                process.kill()


@contextmanager
def sampled(pid: int | None, output: Path | None) -> Iterator[None]:
    """py-spy (the `bench` extra) records process `pid` while the block runs, if `output`."""
    if output is None or pid is None:
        yield
        return
    command = [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid)]
    command += [
        "--format",
        "raw",
        "--rate",
        "250",
        "--threads",
        "--gil",
        "--output",
        str(output),
    ]
    output.parent.mkdir(parents=True, exist_ok=True)
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    time.sleep(1)  # py-spy attaches
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        recorder.wait(30)


def seed(database_url: str, count: int) -> None:
    """A province, a commune, and a cell with its secretary for each simulated secretary."""
    import asyncio

    from factories import make_person

    from storage.db import Database
    from storage.queries.tree import add_unit

    async def go() -> None:
        db = Database(database_url)
        try:
            async with db.session() as session:
                province = await add_unit(session=session, code="BT", name="Tỉnh", kind="province")
                commune = await add_unit(
                    session=session, code="BX", name="Xã", kind="commune", parent=province
                )
                for first in FIRST_IDS:
                    for n in range(count):
                        cell = await add_unit(
                            session=session,
                            code=f"C{first + n}",
                            name=f"Chi bộ {first + n}",
                            kind="cell",
                            parent=commune,
                        )
                        await make_person(session, first + n, f"Bí thư {n}", cell, "secretary")
        finally:
            await db.dispose()

    asyncio.run(go())


def stored_reports(database_url: str) -> int:
    import asyncio

    from storage.db import Database
    from storage.models import MeetingReport

    async def go() -> int:
        db = Database(database_url)
        try:
            async with db.session() as session:
                return (await session.exec(select(func.count()).select_from(MeetingReport))).one()
        finally:
            await db.dispose()

    return asyncio.run(go())


def bench(
    backend: str,
    count: int,
    think: float,
    pg_admin_url: str,
    profile: Path | None,
    echo_our_stack: bool = False,
) -> dict[str, Any]:
    both = {"saturation": (SATURATION_IDS, 0.0), "paced": (PACED_IDS, think)}
    with (
        tempfile.TemporaryDirectory() as directory,
        database(backend, Path(directory), pg_admin_url=pg_admin_url) as url,
    ):
        seed(url, count)
        # The echo stores nothing, so its secretaries can go again: its saturation is short
        # (a few seconds) and varies, so it runs three times and the median counts.
        echo_plan = {"saturation": both["saturation"], **ECHO_REPEATS, "paced": both["paced"]}
        echo = run_bot("echo", url, count, echo_plan)
        echo_ours = run_bot("echo-our-stack", url, count, echo_plan) if echo_our_stack else None
        ours = run_bot("chibo", url, count, both)
        # Ours without the limit, three times too (each time new secretaries: a report each).
        unlimited = run_bot(
            "chibo-unlimited",
            url,
            count,
            {name: (first, 0.0) for name, first in zip(REPEATS, UNLIMITED_IDS, strict=True)},
            profile and profile / f"{backend}.txt",
        )
        reports = stored_reports(url)
    if reports != len(FIRST_IDS) * count:
        raise SystemExit(f"{reports} reports stored, expected {len(FIRST_IDS) * count}")

    def median(phases: dict[str, Phase], field: str) -> float:
        return statistics.median(getattr(phases[name], field) for name in REPEATS)

    echo_rate = median(echo, "updates_per_second")
    ours_rate = median(unlimited, "updates_per_second")
    # Like for like: the echo has no flood limit, so the figure compares ours without it too.
    ratio = ours_rate / echo_rate
    # CPU per update, ours over the echo's: at saturation (medians) and paced.
    cpu = median(unlimited, "bot_cpu_ms_per_update") / median(echo, "bot_cpu_ms_per_update")
    cpu_paced = ours["paced"].bot_cpu_ms_per_update / echo["paced"].bot_cpu_ms_per_update
    return {
        "backend": backend,
        "ours": {name: asdict(phase) for name, phase in ours.items()},
        "ours without the flood limit": {name: asdict(p) for name, p in unlimited.items()},
        "echo": {name: asdict(phase) for name, phase in echo.items()},
        "echo_median_updates_per_second": echo_rate,
        "ours_median_updates_per_second": ours_rate,
        "ratio": round(ratio, 2),
        "ratio_with_flood_limit": round(ours["saturation"].updates_per_second / echo_rate, 2),
        "ratio_met": ratio >= 0.5,
        "p95_met": ours["paced"].p95_ms < 50,
        "cpu_ratio": round(cpu, 2),
        "cpu_ratio_paced": round(cpu_paced, 2),
        "cpu_met": cpu <= 2,
        **(_against(echo_ours, ours_rate, median(unlimited, "bot_cpu_ms_per_update"))),
    }


def _against(echo: dict[str, Phase] | None, ours_rate: float, ours_cpu: float) -> dict:
    """Ours against the echo on our own loop and transport (--echo-our-stack), if it ran."""
    if echo is None:
        return {}
    rate = statistics.median(echo[name].updates_per_second for name in REPEATS)
    cpu = statistics.median(echo[name].bot_cpu_ms_per_update for name in REPEATS)
    return {
        "echo on our stack": {name: asdict(phase) for name, phase in echo.items()},
        "ratio_our_stack": round(ours_rate / rate, 2),
        "cpu_ratio_our_stack": round(ours_cpu / cpu, 2),
    }


LABELS = {
    "ours": "ours",
    "ours without the flood limit": "ours, no limit",
    "echo": "echo",
    "echo on our stack": "echo, our stack",
}


def show(result: dict[str, Any]) -> None:
    print(
        f"\n{result['backend']}: ours ÷ echo, neither with a flood limit = {result['ratio']} "
        f"(target ≥ 0.5: {'met' if result['ratio_met'] else 'MISSED'}; medians of three: "
        f"ours {result['ours_median_updates_per_second']}, the echo "
        f"{result['echo_median_updates_per_second']} updates/s; ours with Telegram's flood "
        f"limit {result['ratio_with_flood_limit']}); paced p95 < 50 ms: "
        f"{'met' if result['p95_met'] else 'MISSED'}; CPU per update ÷ the echo's "
        f"{result['cpu_ratio']} at saturation (target ≤ 2: "
        f"{'met' if result['cpu_met'] else 'MISSED'}), {result['cpu_ratio_paced']} paced"
    )
    if "ratio_our_stack" in result:
        print(
            f"  against the echo on our loop and transport (uvloop, aiohttp): ours ÷ echo "
            f"{result['ratio_our_stack']}, CPU per update ÷ the echo's "
            f"{result['cpu_ratio_our_stack']}"
        )
    print(
        f"  {'bot':13} {'phase':12} {'updates':>7} {'s':>7} {'upd/s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'cpu ms/upd':>10} {'calls/upd':>9}"
    )
    for bot, label in LABELS.items():
        for name, p in result.get(bot, {}).items():
            print(
                f"  {label:13} {name:12} {p['updates']:7} {p['seconds']:7.2f} "
                f"{p['updates_per_second']:7.1f} {p['p50_ms']:7.1f} {p['p95_ms']:7.1f} "
                f"{p['max_ms']:7.1f} {p['bot_cpu_ms_per_update']:10.1f} "
                f"{p['calls_per_update']:4.2f}/{p['chat_calls_per_update']:4.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--secretaries", type=int, default=50)
    parser.add_argument("--think", type=float, default=2.0, help="paced phase: mean seconds")
    add_backend_options(parser)
    parser.add_argument(
        "--profile", type=Path, help="folder for py-spy's samples of our bot (no-limit phase)"
    )
    parser.add_argument(
        "--echo-our-stack",
        action="store_true",
        help="also run the echo on our event loop and Bot API transport, and compare with it",
    )
    args = parser.parse_args()
    print(f"Conversation benchmark, {args.secretaries} secretaries per phase; {machine()}")
    run_backends(
        args,
        lambda backend: bench(
            backend,
            args.secretaries,
            args.think,
            args.pg_admin_url,
            args.profile,
            args.echo_our_stack,
        ),
        show,
    )


if __name__ == "__main__":
    main()
