"""The load generator: simulated staff play scenarios against a bot through the fake server.

Updates are enqueued at the fake server (as Telegram would hold them) and read by the bot's
getUpdates long poll; the bot's answers are seen through the server's ``call_listeners`` hook.
For every update the driver records

* the bot's own added latency: arrival of the first Bot API request concerning the update
  (sendMessage/editMessageText to its chat, or answerCallbackQuery of its button press) minus
  the moment the getUpdates response carrying it was sent (``FakeBotAPI.delivered_at``);
* for button presses, the answerCallbackQuery arrival minus the press;
* errors: an expected reply that does not come, or a Bot API call of the bot that fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from bench.scenarios import (
    JSON,
    Press,
    Scenario,
    ScenarioFactory,
    SimUser,
    Step,
    Text,
    is_notification,
)
from testing.fakeapi import FakeBotAPI
from testing.fakeapi.server import Call

REPLY_METHODS = frozenset({"sendMessage", "editMessageText"})


@dataclass
class _Pending:
    user: SimUser
    step: Step
    update_id: int
    pressed_at: float | None
    future: asyncio.Future[JSON]
    first_call_at: float | None = None


@dataclass
class LoadStats:
    steps: int = 0
    offered: int = 0
    skipped: int = 0  # ticks of the open loop that found no idle user
    timeouts: int = 0
    failed_calls: int = 0
    acks: list[float] = field(default_factory=list)  # seconds
    by_label: dict[str, int] = field(default_factory=dict)
    # Each step's latency: (when its update was delivered, monotonic s; its kind of step; its
    # latency, s). The moment shows where in a phase the slowest steps fell (`slowest_steps`).
    samples: list[tuple[float, str, float]] = field(default_factory=list)

    @property
    def latencies(self) -> list[float]:  # seconds
        return [latency for _, _, latency in self.samples]

    @property
    def latencies_by_label(self) -> dict[str, list[float]]:  # seconds
        found: dict[str, list[float]] = {}
        for _, label, latency in self.samples:
            found.setdefault(label, []).append(latency)
        return found


class Driver:
    """Plays scenarios for many users; at most one update per user is in flight."""

    def __init__(self, api: FakeBotAPI, *, reply_timeout: float = 10.0) -> None:
        self.api = api
        self.reply_timeout = reply_timeout
        self.stats = LoadStats()
        self.recording = True
        self._pending: dict[int, _Pending] = {}
        self._by_query: dict[str, _Pending] = {}
        api.call_listeners.append(self._on_call)

    def close(self) -> None:
        self.api.call_listeners.remove(self._on_call)

    # --- observing the bot -------------------------------------------------------------------
    def _on_call(self, call: Call) -> None:
        ok = call.response is not None and call.response.get("ok")
        if not ok and call.method != "getUpdates" and self.recording:
            self.stats.failed_calls += 1
        if call.method == "answerCallbackQuery":
            pending = self._by_query.pop(str(call.params.get("callback_query_id")), None)
            if pending is not None:
                self._first_call(pending, call)
                if pending.pressed_at is not None and self.recording:
                    self.stats.acks.append(call.at - pending.pressed_at)
            return
        if call.chat_id is None:
            return
        if call.method == "sendMessage" and is_notification(call.params):
            return  # told about another member's record: not a reply to this user's update
        pending = self._pending.get(call.chat_id)
        if pending is None:
            return
        self._first_call(pending, call)
        if ok and call.method in REPLY_METHODS and call.response is not None:
            message = dict(call.response["result"])
            if call.method != "sendMessage":
                message["_edited"] = True
            if not pending.future.done() and pending.step.expect(message):
                pending.future.set_result(message)

    def _first_call(self, pending: _Pending, call: Call) -> None:
        if pending.first_call_at is not None:
            return
        delivered = self.api.delivered_at.get(pending.update_id)
        if delivered is None or call.at < delivered:
            return
        pending.first_call_at = call.at
        if self.recording:
            self.stats.samples.append((delivered, pending.step.label, call.at - delivered))

    # --- acting as users ---------------------------------------------------------------------
    async def play_step(self, user: SimUser, step: Step) -> JSON | None:
        """Send one step's update and wait for the expected reply (None on timeout)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[JSON] = loop.create_future()
        pressed_at = None
        if isinstance(step.action, Text):
            update = self.api.send_text(user.user_id, step.action.text)
        else:
            assert isinstance(step.action, Press)
            pressed_at = time.monotonic()
            update = self.api.press(user.user_id, step.action.message, step.action.data)
        pending = _Pending(user, step, update["update_id"], pressed_at, future)
        self._pending[user.user_id] = pending
        if "callback_query" in update:
            self._by_query[update["callback_query"]["id"]] = pending
        if self.recording:
            self.stats.offered += 1
        try:
            reply = await asyncio.wait_for(future, self.reply_timeout)
        except TimeoutError:
            if self.recording:
                self.stats.timeouts += 1
            return None
        finally:
            self._pending.pop(user.user_id, None)
        if self.recording:
            self.stats.steps += 1
            self.stats.by_label[step.label] = self.stats.by_label.get(step.label, 0) + 1
        return reply


class _Player:
    """One user's progress through an endless sequence of scenarios."""

    def __init__(self, user: SimUser, scenarios: Sequence[ScenarioFactory]) -> None:
        self.user = user
        self._factories = itertools.cycle(scenarios)
        self._scenario: Scenario | None = None
        self._reply: JSON | None = None

    def next_step(self) -> Step:
        while True:
            if self._scenario is None:
                self._scenario = next(self._factories)(self.user)
                self._reply = None
                try:
                    return next(self._scenario)
                except StopIteration:
                    self._scenario = None
                    continue
            try:
                assert self._reply is not None
                return self._scenario.send(self._reply)
            except StopIteration:
                self._scenario = None

    def step_in_hand(self) -> Step | None:
        """The next step of the scenario under way, None when none is (no new one begins)."""
        if self._scenario is None or self._reply is None:
            self._scenario = None
            return None
        try:
            return self._scenario.send(self._reply)
        except StopIteration:
            self._scenario = None
            return None

    def replied(self, reply: JSON | None) -> None:
        if reply is None:  # the step failed: start the next scenario afresh
            self._scenario = None
        self._reply = reply


@contextlib.contextmanager
def no_collector_pauses() -> Iterator[None]:
    """No garbage-collector passes in this process (the load generator and the fake server)
    while a phase is timed. The fake server keeps every call, so a full pass took 80 ms at
    first and 400 ms a minute later; requests arriving meanwhile were stamped late, and the
    pause was counted as the bot's latency (docs/PERFORMANCE.md). Reference counting still frees
    almost everything; a collection runs before and after."""
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect()


class ClosedLoop:
    """Users playing as fast as the bot answers, in windows: between two windows every user
    pauses where they are and the next window carries on from there (a form half filled stays
    half filled), so that rounds of two bots can alternate (A B A B) on one noisy machine."""

    def __init__(
        self, driver: Driver, users: Sequence[SimUser], scenarios: Sequence[ScenarioFactory]
    ) -> None:
        self.driver = driver
        self.players = [_Player(user, scenarios) for user in users]

    async def window(
        self, *, duration: float, warmup: float, require: Sequence[str] = ()
    ) -> float:
        """Steps per second over one window, after its warm-up.

        `require` names kinds of step the window must hold at least one of: the window goes on
        past `duration` until it does (a smoke run on a busy machine may not reach a form field
        in its short window), bounded by a minute; the rate is over the window's real length."""
        driver = self.driver
        stop = False

        async def play(player: _Player) -> None:
            while not stop:
                step = player.next_step()
                player.replied(await driver.play_step(player.user, step))

        driver.recording = False
        with no_collector_pauses():
            tasks = [asyncio.create_task(play(p)) for p in self.players]
            await asyncio.sleep(warmup)
            driver.recording = True
            started, before = time.perf_counter(), driver.stats.steps
            await asyncio.sleep(duration)
            limit = time.perf_counter() + 60
            missing = [label for label in require if not driver.stats.by_label.get(label)]
            while missing and time.perf_counter() < limit:  # noqa: ASYNC110 - polling a counter
                await asyncio.sleep(0.05)
                missing = [label for label in require if not driver.stats.by_label.get(label)]
            done, elapsed = driver.stats.steps - before, time.perf_counter() - started
            driver.recording = False
            stop = True
            await asyncio.gather(*tasks)
        return done / elapsed

    async def finish(self) -> None:
        """Every user plays the scenario in hand to its end (a form half filled is saved)."""
        driver = self.driver

        async def play(player: _Player) -> None:
            while (step := player.step_in_hand()) is not None:
                player.replied(await driver.play_step(player.user, step))

        with no_collector_pauses():
            await asyncio.gather(*(play(p) for p in self.players))


async def closed_loop(
    driver: Driver,
    users: Sequence[SimUser],
    scenarios: Sequence[ScenarioFactory],
    *,
    duration: float,
    warmup: float,
    require: Sequence[str] = (),
) -> float:
    """One window of a `ClosedLoop`: every user plays as fast as the bot answers."""
    return await ClosedLoop(driver, users, scenarios).window(
        duration=duration, warmup=warmup, require=require
    )


async def open_loop(
    driver: Driver,
    users: Sequence[SimUser],
    scenarios: Sequence[ScenarioFactory],
    *,
    rate: float,
    duration: float,
) -> float:
    """Offer `rate` updates per second from idle users for `duration`; steps per second kept."""
    players = [_Player(user, scenarios) for user in users]
    idle: asyncio.Queue[_Player] = asyncio.Queue()
    for player in players:
        idle.put_nowait(player)
    running: set[asyncio.Task[None]] = set()

    async def one_step(player: _Player) -> None:
        step = player.next_step()
        player.replied(await driver.play_step(player.user, step))
        idle.put_nowait(player)

    loop = asyncio.get_running_loop()
    with no_collector_pauses():
        driver.recording = True
        started = loop.time()
        for tick in itertools.count():
            at = started + tick / rate
            if at >= started + duration:
                break
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if idle.empty():
                driver.stats.skipped += 1
                continue
            task = asyncio.create_task(one_step(idle.get_nowait()))
            running.add(task)
            task.add_done_callback(running.discard)
        elapsed = loop.time() - started
        await asyncio.gather(*running)  # the last steps offered in the window may finish after
        driver.recording = False
    return driver.stats.steps / elapsed
