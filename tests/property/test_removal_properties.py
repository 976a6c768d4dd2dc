"""Properties of the scale-in choice (autoscaler.ess.removal)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from autoscaler.ess.removal import REMOVAL_POLICIES, Candidate, choose_for_removal

ZONES = ["z1", "z2", "z3"]


@st.composite
def groups(draw: st.DrawFn) -> list[Candidate]:
    size = draw(st.integers(min_value=0, max_value=30))
    return [
        Candidate(instance_id=f"i-{n}", zone=draw(st.sampled_from(ZONES)), joined=n,
                  configuration_age=draw(st.one_of(st.none(), st.integers(0, 3))),
                  removable=draw(st.booleans()))
        for n in range(size)
    ]


policies = st.lists(st.sampled_from(REMOVAL_POLICIES), min_size=0, max_size=2, unique=True)


@given(groups(), st.integers(0, 40), policies, st.booleans())
def test_only_removable_instances_are_chosen_each_once(cands: list[Candidate], count: int, pol: list[str],
                                                       balance: bool) -> None:
    chosen = choose_for_removal(cands, count, pol, balance=balance)
    removable = {c.instance_id for c in cands if c.removable}
    assert len(chosen) == len(set(chosen)) == min(count, len(removable))
    assert set(chosen) <= removable


@given(groups(), st.integers(0, 40), policies)
def test_without_balance_the_choice_is_a_prefix_of_the_policy_order(cands: list[Candidate], count: int,
                                                                    pol: list[str]) -> None:
    everything = choose_for_removal(cands, len(cands), pol)
    assert choose_for_removal(cands, count, pol) == everything[:count]


@given(groups(), st.integers(0, 40))
def test_oldest_instance_removes_the_earliest_joined(cands: list[Candidate], count: int) -> None:
    chosen = choose_for_removal(cands, count, ["OldestInstance"])
    expected = sorted((c for c in cands if c.removable), key=lambda c: c.joined)[:count]
    assert chosen == [c.instance_id for c in expected]


@given(groups(), st.integers(0, 40))
def test_newest_instance_removes_the_latest_joined(cands: list[Candidate], count: int) -> None:
    chosen = choose_for_removal(cands, count, ["NewestInstance"])
    expected = sorted((c for c in cands if c.removable), key=lambda c: -c.joined)[:count]
    assert chosen == [c.instance_id for c in expected]


@given(groups(), st.integers(0, 40))
def test_oldest_configuration_goes_before_newer_and_attached_last(cands: list[Candidate], count: int) -> None:
    chosen = choose_for_removal(cands, count, ["OldestScalingConfiguration"])
    by_id = {c.instance_id: c for c in cands}
    ages = [by_id[i].configuration_age for i in chosen]
    keys = [(a is None, a if a is not None else 0) for a in ages]
    assert keys == sorted(keys)


@given(groups(), st.integers(0, 40), policies)
def test_balance_never_widens_the_zone_spread(cands: list[Candidate], count: int, pol: list[str]) -> None:
    all_removable = [Candidate(instance_id=c.instance_id, zone=c.zone, joined=c.joined) for c in cands]
    chosen = set(choose_for_removal(all_removable, count, pol, balance=True))

    def spread(items: list[Candidate]) -> int:
        sizes = [sum(1 for c in items if c.zone == z) for z in ZONES if any(c.zone == z for c in all_removable)]
        return max(sizes) - min(sizes) if sizes else 0

    after = [c for c in all_removable if c.instance_id not in chosen]
    assert spread(after) <= max(spread(all_removable), 1)


@given(groups(), st.integers(1, 40), policies)
def test_balance_takes_each_instance_from_a_fullest_zone(cands: list[Candidate], count: int, pol: list[str]) -> None:
    chosen = choose_for_removal(cands, count, pol, balance=True)
    remaining = list(cands)
    for instance_id in chosen:
        sizes = {z: sum(1 for c in remaining if c.zone == z) for z in ZONES}
        open_zones = {c.zone for c in remaining if c.removable}
        zone = next(c.zone for c in remaining if c.instance_id == instance_id)
        assert sizes[zone] == max(sizes[z] for z in open_zones)
        remaining = [c for c in remaining if c.instance_id != instance_id]


def _reference_order(cands: list[Candidate], pol: list[str]) -> list[str]:
    """The ranking as the docstring states it: one key tuple per candidate (policies, then join order)."""
    def key(c: Candidate) -> tuple[int, ...]:
        parts = []
        for p in pol:
            if p == "OldestScalingConfiguration":
                parts.append(1 << 62 if c.configuration_age is None else c.configuration_age)
            else:
                parts.append(c.joined if p == "OldestInstance" else -c.joined)
        return (*parts, c.joined)
    return [c.instance_id for c in sorted((c for c in cands if c.removable), key=key)]


@given(st.lists(st.tuples(st.integers(0, 5), st.one_of(st.none(), st.integers(0, 3)), st.booleans()), max_size=30),
       st.lists(st.sampled_from(REMOVAL_POLICIES), max_size=3))
def test_the_order_is_that_of_the_key_tuples_even_with_equal_join_orders(
        rows: list[tuple[int, int | None, bool]], pol: list[str]) -> None:
    cands = [Candidate(instance_id=f"i-{n}", zone="z1", joined=joined, configuration_age=age, removable=removable)
             for n, (joined, age, removable) in enumerate(rows)]
    assert choose_for_removal(cands, len(cands), pol) == _reference_order(cands, pol)
