"""The BENCHMARKS.md section 1 workload model against small hand-computed traces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autoscaler.simulation.workload import (
    WorkloadSettings,
    load_trace,
    oracle_cost,
    per_instance_capacity,
    recommended_policy,
    simulate,
)


class Scripted:
    """Returns the scheduled total after the given minute, else keeps the total; records calls."""

    name = "scripted"

    def __init__(self, schedule: dict[int, int]) -> None:
        self.schedule = schedule
        self.calls: list[tuple[int, float, int, int, int, int]] = []

    def decide(self, at: int, utilisation: float, sample_serving: int, serving: int, total: int, warming: int) -> int:
        self.calls.append((at, utilisation, sample_serving, serving, total, warming))
        return self.schedule.get(at // 60, total)


def demand_with_capacity_one(values: list[float]) -> np.ndarray:
    """Pad with 40 minutes at 1.0 after the script so that p99 = 1 and C = 1/40."""
    return np.array(values + [1.0] * 400, dtype=np.float64)


def test_a_trace_is_held_step_wise_on_the_minute_grid_and_a_gap_holds_the_last_value(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("timestamp,value\n0,5\n300,7\n900,2\n")
    trace = load_trace(csv)
    assert trace.start == 0
    assert trace.demand.tolist() == [5.0] * 5 + [7.0] * 10 + [2.0]


def test_a_malformed_trace_is_rejected_with_the_file_named(tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("timestamp,value\n60,1\n0,2\n")
    with pytest.raises(ValueError, match=r"bad\.csv: timestamp: must be strictly increasing"):
        load_trace(csv)


def test_the_per_instance_capacity_is_the_99th_percentile_over_forty() -> None:
    demand = np.arange(1, 101, dtype=np.float64)
    assert per_instance_capacity(demand) == pytest.approx(np.percentile(demand, 99) / 40)


def test_an_instance_launched_after_minute_t_serves_from_minute_t_plus_four() -> None:
    # C = 1/40, target 0.6: demand 0.03 needs ceil(0.03 / 0.015) = 2 instances at the start.
    demand = demand_with_capacity_one([0.03] * 8)
    policy = Scripted({0: 5})
    result = simulate(demand, policy)
    assert result.total[:6].tolist() == [2, 5, 5, 5, 5, 5]
    assert result.serving[:6].tolist() == [2, 2, 2, 2, 5, 5]
    # The policy saw the warming instances: after minute 1, 3 warming of 5.
    assert policy.calls[1][3:] == (2, 5, 3)
    assert policy.calls[0][1] == pytest.approx(0.03 / (2 / 40))


def test_cost_counts_launching_instances_and_overload_counts_minutes_short_of_capacity() -> None:
    values = [0.03, 0.2, 0.2, 0.2, 0.2, 0.03]
    demand = demand_with_capacity_one(values)
    result = simulate(demand, Scripted({1: 10, 5: 2}))
    # Minute 1 is overloaded (0.2 > 2/40); the launch after minute 1 serves from minute 5.
    assert result.total[:7].tolist() == [2, 2, 10, 10, 10, 10, 2]
    assert result.serving[:7].tolist() == [2, 2, 2, 2, 2, 10, 2]
    # Minutes 1..4, then the padding at 1.0 against the 2 instances left (400 minutes).
    assert result.overload_minutes == 4 + 400
    assert result.utilisation[1] == 1.0
    assert result.cost == int(result.total.sum())
    assert result.actions == 2


def test_scale_in_removes_instances_that_are_not_yet_serving_first() -> None:
    demand = demand_with_capacity_one([0.03] * 6)
    result = simulate(demand, Scripted({0: 6, 1: 4}))
    # 2 serving + 4 launching, then down to 4: two launching instances go, both serving stay.
    assert result.total[:6].tolist() == [2, 6, 4, 4, 4, 4]
    assert result.serving[:6].tolist() == [2, 2, 2, 2, 4, 4]


def test_scale_in_below_the_serving_count_removes_serving_instances() -> None:
    demand = demand_with_capacity_one([0.2] + [0.01] * 5)
    result = simulate(demand, Scripted({0: 3}))
    assert result.total[:3].tolist() == [14, 3, 3]
    assert result.serving[:3].tolist() == [14, 3, 3]


def test_targets_are_clamped_to_min_and_max_size() -> None:
    demand = demand_with_capacity_one([0.03] * 6)
    result = simulate(demand, Scripted({0: 1000, 5: 0}), settings=WorkloadSettings(max_size=7))
    assert result.total[1] == 7
    assert result.total[6] == 1


def test_with_ess_semantics_a_decision_is_rejected_while_a_scale_out_is_in_progress() -> None:
    demand = demand_with_capacity_one([0.03] * 8)
    schedule = {0: 4, 1: 8, 2: 3, 3: 9}
    plain = simulate(demand, Scripted(schedule))
    ess = simulate(demand, Scripted(schedule), settings=WorkloadSettings(ess_activity_blocks=True))
    assert plain.total[:5].tolist() == [2, 4, 8, 3, 9]
    # The launch after minute 0 is in progress until its instances serve at minute 4:
    # the decisions after minutes 1 and 2 are rejected, the one after minute 3 goes through.
    assert ess.total[:5].tolist() == [2, 4, 4, 4, 9]
    assert ess.rejected == 2
    assert ess.actions == 2


def test_the_oracle_keeps_exactly_the_target_with_at_least_one_instance() -> None:
    demand = np.array([0.0, 0.6, 1.2, 1.21])
    assert oracle_cost(demand, 1.0, 0.6) == 1 + 1 + 2 + 3


def test_the_start_rule_sizes_the_group_for_the_first_minute_at_target() -> None:
    demand = demand_with_capacity_one([0.1])
    result = simulate(demand, Scripted({}))
    assert result.total[0] == 7  # ceil(0.1 / (0.025 * 0.6)) = ceil(6.67)


def test_invalid_model_settings_name_the_field() -> None:
    with pytest.raises(ValueError, match="target"):
        WorkloadSettings(target=0)
    with pytest.raises(ValueError, match="min_size"):
        WorkloadSettings(min_size=5, max_size=2)


def test_the_recommended_policy_serialises_scale_outs_exactly_when_the_model_does() -> None:
    # Plain: each scale-out covers minute boot + 1 (the next decision covers the next
    # minute). ESS: the next scale-out serves only from minute 2 x boot + 1.
    for blocks, horizon in ((False, 4), (True, 6)):
        policy = recommended_policy(WorkloadSettings(ess_activity_blocks=blocks, boot_minutes=3))
        assert policy.settings.serialised_scale_out is blocks
        assert policy.settings.horizon_minutes == horizon
        assert policy.settings.forecaster.scale_out_from == 4
        assert policy.settings.target == 0.6
