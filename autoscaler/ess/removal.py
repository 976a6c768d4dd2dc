"""Which instances a scale-in removes: the group's RemovalPolicies, standby and protection, zones.

Pure and shared: the emulator uses it to execute a scale-in, the controller to
predict which instances a decision will take away.

Rules (CreateScalingGroup's RemovalPolicy.N, EnterStandby, SetInstancesProtection,
MultiAZPolicy):

- only ``removable`` candidates are chosen: standby and protected instances (and
  instances still joining or leaving) are never picked by a scale-in;
- candidates are ranked by the policies in order: ``OldestScalingConfiguration``
  (instances of the oldest configuration first; instances without a configuration,
  i.e. attached ones, rank after every configured one), ``OldestInstance`` (the
  earliest to join first), ``NewestInstance`` (the latest to join first); remaining
  ties go to the earliest joined;
- with ``balance`` (MultiAZPolicy BALANCE) every pick comes from a zone that holds
  the most instances among the zones that still have a candidate, so removal never
  makes the zones less balanced; within the zone the ranking decides.

Example::

    >>> c = [Candidate(instance_id="a", zone="z1", joined=1), Candidate(instance_id="b", zone="z1", joined=2)]
    >>> choose_for_removal(c, 1, ("NewestInstance",))
    ['b']
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import NamedTuple

__all__ = ["REMOVAL_POLICIES", "Candidate", "choose_for_removal"]

REMOVAL_POLICIES = ("OldestScalingConfiguration", "OldestInstance", "NewestInstance")

_NO_CONFIGURATION = 1 << 62


class _CandidateFields(NamedTuple):
    instance_id: str
    zone: str
    joined: int
    configuration_age: int | None
    removable: bool


class Candidate(_CandidateFields):
    """One instance of the group. ``joined`` orders by join time; ``configuration_age``
    orders configurations by creation (lower is older; None for attached instances).

    A named tuple (keyword arguments only): a scale-in builds one per member of the
    group, and a tuple is several times cheaper to build than a frozen dataclass.
    """

    __slots__ = ()

    def __new__(
        cls, *, instance_id: str, zone: str, joined: int, configuration_age: int | None = None,
        removable: bool = True,
    ) -> Candidate:
        if not instance_id:
            raise ValueError("instance_id: must not be empty")
        return super().__new__(cls, instance_id, zone, joined, configuration_age, removable)


def _ranked(candidates: Sequence[Candidate], policies: Sequence[str]) -> list[Candidate]:
    """The removable candidates in removal order: the policies in order, then the join order.

    Stable sorts from the least significant key to the most (C-level keys, no key tuple
    per candidate): the same order as sorting by the tuple of all keys.
    """
    for policy in policies:
        if policy not in REMOVAL_POLICIES:
            raise ValueError(f"policies: unknown removal policy {policy!r}")
    ranked = [c for c in candidates if c.removable]
    ranked.sort(key=_joined)
    for policy in reversed(policies):
        if policy == "NewestInstance":
            ranked.sort(key=_joined, reverse=True)  # reverse keeps equal keys in order (stable)
        elif policy == "OldestScalingConfiguration":
            if len({c.configuration_age for c in ranked}) > 1:
                ranked.sort(key=_configuration_rank)
        else:  # OldestInstance
            ranked.sort(key=_joined)
    return ranked


def _configuration_rank(candidate: Candidate) -> int:
    age = candidate.configuration_age
    return _NO_CONFIGURATION if age is None else age


_joined = operator.attrgetter("joined")


def choose_for_removal(
    candidates: Sequence[Candidate],
    count: int,
    policies: Sequence[str],
    *,
    balance: bool = False,
) -> list[str]:
    """The ids of up to ``count`` instances to remove, in removal order."""
    if count < 0:
        raise ValueError(f"count: must be >= 0, got {count}")
    ranked = _ranked(candidates, policies)
    if not balance:
        return [c.instance_id for c in ranked[:count]]
    zone_sizes: dict[str, int] = {}
    for candidate in candidates:
        zone_sizes[candidate.zone] = zone_sizes.get(candidate.zone, 0) + 1
    queues: dict[str, list[Candidate]] = {}
    for candidate in ranked:
        queues.setdefault(candidate.zone, []).append(candidate)
    order = {c.instance_id: i for i, c in enumerate(ranked)}
    chosen: list[str] = []
    while len(chosen) < count and queues:
        # The fullest zone loses one; among equally full zones the best-ranked candidate goes.
        zone = max(queues, key=lambda z: (zone_sizes[z], -order[queues[z][0].instance_id]))
        pick = queues[zone].pop(0)
        if not queues[zone]:
            del queues[zone]
        zone_sizes[zone] -= 1
        chosen.append(pick.instance_id)
    return chosen
