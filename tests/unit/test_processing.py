"""Updates of different chats run at once; one chat's updates one by one, in arrival order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from telegram import Chat, Message, Update, User

from bot.processing import MAX_WAITING, PerChatUpdateProcessor, chat_key

AN, BINH = 1001, 1002


def text_update(update_id: int, user_id: int, text: str) -> Update:
    user = User(user_id, "Người dùng", is_bot=False)
    chat = Chat(user_id, Chat.PRIVATE)
    message = Message(update_id, date=datetime.now(UTC), chat=chat, from_user=user, text=text)
    return Update(update_id, message=message)


async def test_a_slow_update_holds_up_its_own_chat_only():
    processor = PerChatUpdateProcessor()
    slow_query_done = asyncio.Event()
    log: list[str] = []

    async def handle(name: str, *, slow: bool = False) -> None:
        log.append(f"{name} starts")
        if slow:
            await slow_query_done.wait()
        log.append(f"{name} ends")

    def process(update: Update, name: str, **kwargs: bool) -> asyncio.Task:
        return asyncio.create_task(processor.process_update(update, handle(name, **kwargs)))

    an_first = process(text_update(1, AN, "45"), "An 1", slow=True)
    an_second = process(text_update(2, AN, "3"), "An 2")
    binh = process(text_update(3, BINH, "/report"), "Bình")

    await binh  # Bình is answered while An's first update still waits for the database
    assert log == ["An 1 starts", "Bình starts", "Bình ends"]

    slow_query_done.set()
    await asyncio.gather(an_first, an_second)
    assert log[3:] == ["An 1 ends", "An 2 starts", "An 2 ends"]  # An's stay in order
    assert processor._lanes == {}  # nothing kept for chats that have gone quiet


async def test_many_updates_of_one_chat_keep_their_order():
    processor = PerChatUpdateProcessor(max_concurrent_updates=4)  # some wait for the semaphore
    seen: list[int] = []

    async def handle(number: int) -> None:
        await asyncio.sleep(0)  # yield to the loop: the others could overtake here
        seen.append(number)

    updates = [text_update(n, AN if n % 2 else BINH, str(n)) for n in range(40)]
    await asyncio.gather(*(processor.process_update(u, handle(u.update_id)) for u in updates))
    assert [n for n in seen if n % 2] == list(range(1, 40, 2))
    assert [n for n in seen if not n % 2] == list(range(0, 40, 2))


def test_updates_are_grouped_by_chat_then_user():
    assert chat_key(text_update(1, AN, "hi")) == AN
    assert chat_key(Update(5)) is None
    assert chat_key("not an update") is None


async def test_a_stop_handles_what_was_received_and_tells_where_to_resume():
    processor = PerChatUpdateProcessor()
    release = asyncio.Event()
    handled: list[int] = []

    async def handle(number: int) -> None:
        await release.wait()
        handled.append(number)

    updates = [text_update(n, AN if n % 2 else BINH, str(n)) for n in (7, 8, 9)]
    tasks = []
    for update in updates:
        processor.expect(update)
        tasks.append(
            asyncio.create_task(processor.process_update(update, handle(update.update_id)))
        )
    await asyncio.sleep(0)
    stopping = asyncio.create_task(processor.stop(grace=5))
    await asyncio.sleep(0)
    room = asyncio.create_task(processor.wait_for_room())  # no more is taken once stopping
    release.set()
    await stopping
    await asyncio.gather(*tasks)
    assert sorted(handled) == [7, 8, 9]
    assert processor.resume_offset() == 10
    assert not room.done()
    room.cancel()


async def test_a_stop_that_runs_out_of_time_cancels_and_resumes_at_the_first_unhandled():
    processor = PerChatUpdateProcessor()
    never = asyncio.Event()
    handled: list[int] = []

    async def handle(number: int, *, stuck: bool) -> None:
        if stuck:
            await never.wait()
        handled.append(number)

    first, stuck, behind = (text_update(n, AN if n != 5 else BINH, "x") for n in (4, 5, 6))
    for update in (first, stuck, behind):
        processor.expect(update)
    await processor.process_update(first, handle(4, stuck=False))
    tasks = [
        asyncio.create_task(processor.process_update(stuck, handle(5, stuck=True))),
        asyncio.create_task(processor.process_update(behind, handle(6, stuck=False))),
    ]
    await asyncio.sleep(0)
    await processor.stop(grace=0.05)
    await asyncio.gather(*tasks, return_exceptions=True)
    assert handled == [4, 6]
    assert processor.resume_offset() == 5  # 5 comes again (6 too: the one duplicate window)
    assert processor.refused(stuck) and not processor.refused(behind)


async def test_few_received_updates_wait_before_more_are_taken():
    processor = PerChatUpdateProcessor(max_concurrent_updates=2)
    for n in range(MAX_WAITING):
        processor.expect(text_update(n, AN, "x"))
    room = asyncio.create_task(processor.wait_for_room())
    await asyncio.sleep(0.01)
    assert not room.done()
    oldest = text_update(0, AN, "x")
    done = asyncio.Event()

    async def handle() -> None:
        done.set()

    task = asyncio.create_task(processor.process_update(oldest, handle()))
    await asyncio.wait_for(room, 1)  # one began (and ended): room for the next
    await task
    assert done.is_set()
