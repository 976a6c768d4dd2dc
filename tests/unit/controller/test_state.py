"""The controller's state file survives restarts and refuses what it cannot read."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from autoscaler.controller.state import Intent, StateStore, StateStoreError

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _intent(token: str = "tok-1", target: int = 5) -> Intent:
    return Intent(token=token, group_id="sg-1", policy="cpu", kind="capacity", target=target,
                  rule_ari=None, window_start=T0, created_at=T0)


def test_an_open_intent_is_found_again_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    StateStore(path).open_intent(_intent())
    reopened = StateStore(path)
    [found] = reopened.open_intents("sg-1")
    assert found.token == "tok-1" and found.target == 5 and found.status == "open"


def test_opening_the_same_token_twice_keeps_the_first_intent(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.sqlite")
    store.open_intent(_intent(target=5))
    again = store.open_intent(_intent(target=9))
    assert again.target == 5


def test_a_finished_intent_is_no_longer_open_and_keeps_its_activity(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.sqlite")
    store.open_intent(_intent())
    store.finish_intent("tok-1", at=T0 + timedelta(seconds=3), activity_id="asa-1")
    assert store.open_intents() == []
    done = store.intent("tok-1")
    assert done is not None and done.status == "done" and done.activity_id == "asa-1"
    store.open_intent(_intent("tok-2"))
    store.finish_intent("tok-2", at=T0, error_code="IncorrectScalingGroupStatus")
    failed = store.intent("tok-2")
    assert failed is not None and failed.status == "failed"


def test_a_cooldown_is_never_shortened_and_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = StateStore(path)
    store.set_cooldown("sg-1", T0 + timedelta(seconds=300), "scale-out")
    store.set_cooldown("sg-1", T0 + timedelta(seconds=100), "shorter")
    until, reason = StateStore(path).cooldown("sg-1") or (None, None)
    assert until == T0 + timedelta(seconds=300) and reason == "scale-out"


def test_policy_memory_round_trips(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "s.sqlite")
    assert store.load_memory("sg-1") is None
    store.save_memory("sg-1", {"window": [[1.0, 4]]}, T0)
    assert store.load_memory("sg-1") == {"window": [[1.0, 4]]}


def test_a_newer_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    StateStore(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    db.close()
    with pytest.raises(StateStoreError, match="schema version 99"):
        StateStore(path)
