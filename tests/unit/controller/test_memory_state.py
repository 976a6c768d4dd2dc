"""The replay's state store in Python objects answers exactly as the SQLite store does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from autoscaler.controller.memory_state import MemoryStateStore
from autoscaler.controller.state import ControllerState, Intent, StateStore
from autoscaler.policy.model import GroupMemory, PolicyMemory

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _intent(token: str, *, group: str = "sg-1", target: int = 5, minute: int = 0) -> Intent:
    at = T0 + timedelta(minutes=minute)
    return Intent(token=token, group_id=group, policy="cpu", kind="capacity", target=target,
                  rule_ari=None, window_start=at, created_at=at)


@pytest.fixture()
def stores() -> Iterator[tuple[StateStore, MemoryStateStore]]:
    sql, mem = StateStore(":memory:"), MemoryStateStore()
    yield sql, mem
    sql.close()
    mem.close()


def test_intents_open_finish_and_list_the_same_in_both_stores(stores: tuple[StateStore, MemoryStateStore]) -> None:
    answers = []
    for store in stores:
        first = store.open_intent(_intent("a", target=5, minute=2))
        again = store.open_intent(_intent("a", target=9, minute=3))  # the same token keeps the first
        store.open_intent(_intent("b", minute=1))
        store.open_intent(_intent("c", group="sg-2", minute=0))
        store.finish_intent("b", at=T0 + timedelta(minutes=4), activity_id="asa-1")
        store.finish_intent("c", at=T0 + timedelta(minutes=5), error_code="Throttling")
        store.finish_intent("missing", at=T0)
        answers.append((first, again, store.open_intents(), store.open_intents("sg-2"), store.intent("b"),
                        store.intent("c"), store.intent("missing"), store.recent_intents("sg-1", limit=1)))
    assert answers[0] == answers[1]
    assert answers[1][1].target == 5 and answers[1][4] is not None and answers[1][4].status == "done"


def test_a_cooldown_is_extended_never_shortened_in_both_stores(
        stores: tuple[StateStore, MemoryStateStore]) -> None:
    answers = []
    for store in stores:
        before = store.cooldown("sg-1")
        store.set_cooldown("sg-1", T0 + timedelta(minutes=5), "scale-in")
        store.set_cooldown("sg-1", T0 + timedelta(minutes=2), "shorter")
        answers.append((before, store.cooldown("sg-1")))
    assert answers[0] == answers[1] == (None, (T0 + timedelta(minutes=5), "scale-in"))


def test_the_policy_memory_comes_back_as_saved(stores: tuple[StateStore, MemoryStateStore]) -> None:
    memory = GroupMemory(policies={"cpu": PolicyMemory(recommendations=((T0, 4),), breaches=2,
                                                       cooldown_until=T0 + timedelta(minutes=5))})
    for store in stores:
        state: ControllerState = store
        assert state.load_group_memory("sg-1") == GroupMemory()
        state.save_group_memory("sg-1", memory, T0)
        assert state.load_group_memory("sg-1") == memory
    assert stores[0].load_memory("sg-1") == stores[1].load_memory("sg-1") is not None
    assert stores[1].load_memory("sg-2") is None
