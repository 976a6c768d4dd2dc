"""Examples of the scale-in choice (autoscaler.ess.removal)."""

from __future__ import annotations

import pytest

from autoscaler.ess.removal import Candidate, choose_for_removal


def _c(instance_id: str, zone: str, joined: int, age: int | None = 0, removable: bool = True) -> Candidate:
    return Candidate(instance_id=instance_id, zone=zone, joined=joined, configuration_age=age, removable=removable)


def test_the_default_policies_take_the_oldest_configuration_then_the_oldest_instance() -> None:
    cands = [_c("a", "z", 1, age=1), _c("b", "z", 2, age=0), _c("c", "z", 3, age=0)]
    assert choose_for_removal(cands, 2, ["OldestScalingConfiguration", "OldestInstance"]) == ["b", "c"]


def test_the_second_policy_breaks_ties_of_the_first() -> None:
    cands = [_c("a", "z", 1), _c("b", "z", 2), _c("c", "z", 3)]
    assert choose_for_removal(cands, 1, ["OldestScalingConfiguration", "NewestInstance"]) == ["c"]


def test_standby_and_protected_instances_are_never_chosen() -> None:
    cands = [_c("a", "z", 1, removable=False), _c("b", "z", 2)]
    assert choose_for_removal(cands, 2, ["OldestInstance"]) == ["b"]


def test_balance_takes_from_the_fullest_zone_first() -> None:
    cands = [_c("a", "z1", 1), _c("b", "z2", 2), _c("c", "z2", 3), _c("d", "z2", 4)]
    assert choose_for_removal(cands, 2, ["OldestInstance"], balance=True) == ["b", "c"]


def test_balance_counts_unremovable_instances_as_zone_members() -> None:
    cands = [_c("a", "z1", 1), _c("b", "z1", 2, removable=False), _c("c", "z2", 3)]
    assert choose_for_removal(cands, 1, ["NewestInstance"], balance=True) == ["a"]


def test_nonsense_is_refused() -> None:
    with pytest.raises(ValueError, match="count"):
        choose_for_removal([], -1, [])
    with pytest.raises(ValueError, match="policies"):
        choose_for_removal([_c("a", "z", 1)], 1, ["Random"])
    with pytest.raises(ValueError, match="instance_id"):
        _c("", "z", 1)
