"""The intent queue: one intent per firing window, coalesced per group, floors that end, hard bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from autoscaler.alerting import (
    ActionIntent,
    AlertQueue,
    AlertSink,
    ExecuteRuleAction,
    FloorIntent,
    FloorRelease,
    IntentSink,
    QueueFullError,
    QueueLimits,
    client_token,
)
from autoscaler.clock import VirtualClock

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
START = T0 - timedelta(minutes=1)
RULE = ExecuteRuleAction(type="execute_rule", scaling_rule_ari="ari:acs:ess:cn-hangzhou:1:scalingrule/asr-1")


def _action(fingerprint: str = "aa", *, group: str = "asg-web", mapping: str = "web-out",
            starts_at: datetime = START, cooldown: float = 0) -> ActionIntent:
    token = client_token(mapping=mapping, group=group, fingerprint=fingerprint, starts_at=starts_at)
    return ActionIntent(group=group, mapping=mapping, action=RULE, client_token=token, alertname="HighLoad",
                        fingerprint=fingerprint, starts_at=starts_at, cooldown=timedelta(seconds=cooldown))


def _floor(fingerprint: str = "aa", *, minimum: int = 6, group: str = "asg-web", starts_at: datetime = START,
           seconds: float = 600) -> FloorIntent:
    return FloorIntent(group=group, mapping="web-floor", min_capacity=minimum, alertname="HighLoad",
                       fingerprint=fingerprint, starts_at=starts_at,
                       expires_at=starts_at + timedelta(seconds=seconds))


def _release(fingerprint: str = "aa", *, starts_at: datetime = START) -> FloorRelease:
    return FloorRelease(group="asg-web", mapping="web-floor", fingerprint=fingerprint, starts_at=starts_at)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def queue(clock: VirtualClock) -> AlertQueue:
    return AlertQueue(clock=clock)


def test_the_queue_is_both_sides_of_the_seam(queue: AlertQueue) -> None:
    assert isinstance(queue, AlertSink) and isinstance(queue, IntentSink)


def test_a_repeated_notification_gives_one_intent_even_after_the_first_was_drained(queue: AlertQueue) -> None:
    assert queue.submit([_action()]).queued == 1
    assert queue.submit([_action()]).duplicates == 1
    first = queue.drain("asg-web")
    assert first.action == _action()
    assert queue.submit([_action()]).duplicates == 1  # a replica or a repeat_interval, later
    assert queue.drain("asg-web").action is None


def test_a_storm_for_one_group_coalesces_into_one_pending_action(queue: AlertQueue) -> None:
    result = queue.submit([_action(f"{n:04x}") for n in range(10_000)])
    assert (result.queued, result.coalesced) == (1, 9_999)
    drained = queue.drain("asg-web")
    assert drained.action is not None and drained.action.fingerprint == "0000" and drained.pending == 0
    assert queue.drain("asg-web").action is None
    assert queue.submit([_action("0001")]).duplicates == 1  # absorbed alerts stay handled


def test_each_drain_gives_at_most_one_action_per_group(queue: AlertQueue) -> None:
    queue.submit([_action(mapping="a"), _action(mapping="b"), _action(group="asg-api")])
    web = [queue.drain("asg-web") for _ in range(3)]
    assert [d.action.mapping if d.action else None for d in web] == ["a", "b", None]
    assert [d.pending for d in web] == [1, 0, 0]
    assert queue.pending_groups() == {"asg-api"}
    assert queue.drain("asg-api").action is not None


def test_a_new_firing_window_of_the_same_alert_scales_again(queue: AlertQueue) -> None:
    queue.submit([_action()])
    queue.drain("asg-web")
    assert queue.submit([_action(starts_at=START + timedelta(hours=1))]).queued == 1


def test_a_floor_holds_until_the_alert_resolves(queue: AlertQueue, clock: VirtualClock) -> None:
    queue.submit([_floor(minimum=6)])
    clock.advance(60)
    held = queue.drain("asg-web")
    assert (held.floor, held.floor_expires_at) == (6, START + timedelta(seconds=600))
    assert queue.submit([_release()]).floors_released == 1
    assert queue.drain("asg-web").floor is None
    assert queue.active_floors() == {}


def test_a_late_firing_from_a_slow_replica_does_not_revive_a_resolved_floor(queue: AlertQueue) -> None:
    queue.submit([_floor()])
    queue.submit([_release()])
    assert queue.submit([_floor()]).duplicates == 1
    assert queue.drain("asg-web").floor is None


def test_a_floor_ends_at_its_maximum_duration_without_a_resolve(queue: AlertQueue, clock: VirtualClock) -> None:
    queue.submit([_floor(seconds=600)])
    clock.set(START + timedelta(seconds=599))
    assert queue.drain("asg-web").floor == 6
    clock.set(START + timedelta(seconds=600))
    assert queue.drain("asg-web").floor is None
    assert queue.active_floors() == {}


def test_the_highest_active_floor_wins_and_each_alert_releases_only_its_own(queue: AlertQueue) -> None:
    queue.submit([_floor("aa", minimum=4), _floor("bb", minimum=9)])
    assert queue.drain("asg-web").floor == 9
    queue.submit([_release("bb")])
    assert queue.drain("asg-web").floor == 4
    queue.submit([_release("aa", starts_at=START - timedelta(hours=1))])  # an older window: not this one
    assert queue.drain("asg-web").floor == 4


def test_too_many_groups_are_refused_without_changing_anything(clock: VirtualClock) -> None:
    queue = AlertQueue(clock=clock, limits=QueueLimits(max_groups=2))
    queue.submit([_action(group="g1"), _action(group="g2")])
    with pytest.raises(QueueFullError, match="groups: more than 2"):
        queue.submit([_action("bb", group="g1"), _action(group="g3")])
    assert queue.pending_groups() == {"g1", "g2"}
    queue.drain("g1")
    assert queue.drain("g1").action is None  # the refused g1 intent was not queued
    assert queue.submit([_action("bb", group="g1")]).queued == 1  # nor remembered as seen


def test_too_many_floors_are_refused_unless_expired_ones_make_room(clock: VirtualClock) -> None:
    queue = AlertQueue(clock=clock, limits=QueueLimits(max_floors=2))
    queue.submit([_floor("aa", seconds=120), _floor("bb", seconds=900)])
    with pytest.raises(QueueFullError, match="floors: more than 2"):
        queue.submit([_floor("cc")])
    clock.advance(120)  # "aa" expires at START + 120 s, i.e. T0 + 60 s
    assert queue.submit([_floor("cc")]).floors_set == 1
    assert queue.active_floors() == {"asg-web": 6}


def test_intents_for_groups_the_controller_does_not_manage_are_ignored(clock: VirtualClock) -> None:
    queue = AlertQueue(clock=clock, known_groups={"asg-web"})
    result = queue.submit([_action(group="asg-other"), _action()])
    assert (result.queued, result.ignored) == (1, 1)
    assert queue.pending_groups() == {"asg-web"}


def test_remembered_tokens_are_bounded(clock: VirtualClock) -> None:
    queue = AlertQueue(clock=clock, limits=QueueLimits(seen_capacity=3))
    for n in range(5):
        queue.submit([_action(f"{n:02x}")])
        queue.drain("asg-web")
    # the oldest token was forgotten (ESS's ClientToken still protects it), the newest not
    assert queue.submit([_action("00")]).queued == 1
    assert queue.submit([_action("04")]).duplicates == 1


@pytest.mark.parametrize("name", ["max_groups", "max_floors", "seen_capacity"])
def test_limits_must_be_positive(name: str) -> None:
    with pytest.raises(ValueError, match=f"{name}: must be >= 1"):
        QueueLimits(**{name: 0})  # type: ignore[arg-type]


def test_a_mapping_cools_down_after_its_action_was_drained(queue: AlertQueue, clock: VirtualClock) -> None:
    queue.submit([_action("aa", cooldown=300)])
    assert queue.drain("asg-web").action is not None
    clock.advance(299)
    assert queue.submit([_action("bb", cooldown=300)]).coalesced == 1  # absorbed during the cooldown
    assert queue.drain("asg-web").action is None
    assert queue.submit([_action("cc", mapping="other", cooldown=300)]).queued == 1  # other mappings are free
    clock.advance(1)
    assert queue.submit([_action("dd", cooldown=300)]).queued == 1
    assert [queue.drain("asg-web").action.fingerprint for _ in range(2)] == ["cc", "dd"]  # type: ignore[union-attr]


def test_a_requeued_action_comes_back_first_with_its_token_and_without_cooldown(queue: AlertQueue) -> None:
    queue.submit([_action("aa", mapping="a", cooldown=300), _action("bb", mapping="b")])
    busy = queue.drain("asg-web").action
    assert busy is not None and busy.mapping == "a"
    queue.requeue(busy)  # ScalingActivityInProgress: try again next tick
    again = queue.drain("asg-web")
    assert again.action == busy and again.pending == 1
