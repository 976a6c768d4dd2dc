"""The three reactive baselines of BENCHMARKS.md section 1, decision by decision."""

from __future__ import annotations

import numpy as np

from autoscaler.simulation.workload import (
    AwsTargetTrackingBaseline,
    HpaBaseline,
    StaticBaseline,
    per_instance_capacity,
    simulate,
)


def test_static_holds_the_peak_capacity_at_target_without_any_action() -> None:
    demand = np.array([1.0] * 99 + [3.0])
    static = StaticBaseline.for_demand(demand)
    capacity = per_instance_capacity(demand)
    assert static.capacity == int(np.ceil(3.0 / (capacity * 0.6)))
    result = simulate(demand, static, initial=static.capacity)
    assert result.actions == 0
    assert result.cost == static.capacity * demand.size
    assert result.overload_minutes == 0


def test_hpa_does_nothing_inside_the_tolerance_and_scales_out_to_the_ratio() -> None:
    hpa = HpaBaseline()
    assert hpa.decide(0, 0.65, 10, 10, 10, 0) == 10  # 0.65 / 0.6 = 1.083, inside 0.1
    assert hpa.decide(60, 0.9, 10, 10, 10, 0) == 15  # ceil(10 * 1.5)


def test_hpa_scale_up_is_capped_at_twice_the_total_or_four() -> None:
    assert HpaBaseline(target=0.3).decide(0, 1.0, 10, 10, 10, 0) == 20  # ceil(33.3) capped at 2 x 10
    assert HpaBaseline(target=0.1).decide(0, 1.0, 1, 1, 1, 0) == 4  # ceil(10) capped at max(2, 4)


def test_hpa_scales_in_only_to_the_highest_recommendation_of_the_last_five_minutes() -> None:
    hpa = HpaBaseline()
    decisions = [hpa.decide(60 * i, u, 10, 10, 10, 0) for i, u in enumerate([0.6, 0.3, 0.3, 0.3, 0.3, 0.3])]
    # The in-tolerance recommendation of 10 stays in the window for five minutes.
    assert decisions == [10, 10, 10, 10, 10, 5]


def test_aws_scales_out_after_three_consecutive_minutes_above_target() -> None:
    aws = AwsTargetTrackingBaseline()
    assert [aws.decide(60 * i, 0.7, 10, 10, 10, 0) for i in range(3)] == [10, 10, 12]  # ceil(11.67)


def test_aws_restarts_its_count_after_a_minute_at_target() -> None:
    aws = AwsTargetTrackingBaseline()
    out = [aws.decide(60 * i, u, 10, 10, 10, 0) for i, u in enumerate([0.7, 0.7, 0.6, 0.7, 0.7])]
    assert out == [10] * 5


def test_aws_scales_in_after_fifteen_minutes_below_ninety_percent_of_target() -> None:
    aws = AwsTargetTrackingBaseline()
    out = [aws.decide(60 * i, 0.5, 10, 10, 10, 0) for i in range(15)]
    assert out == [10] * 14 + [8]  # floor(10 * 0.5 / 0.6)


def test_aws_never_scales_in_while_instances_are_warming_up() -> None:
    aws = AwsTargetTrackingBaseline()
    assert [aws.decide(60 * i, 0.5, 10, 10, 12, 2) for i in range(16)] == [12] * 16


def test_a_saturated_metric_understates_demand_and_the_baselines_suffer_it() -> None:
    # C = 1/40 from the padding; a jump to 0.5 needs 34 instances at target, but at
    # 100 % utilisation HPA sees only "1.0 x 2 serving" and doubles step by step.
    demand = np.array([0.03] * 3 + [0.5] * 30 + [1.0] * 400)
    result = simulate(demand, HpaBaseline())
    assert result.total[3:9].tolist() == [2, 4, 4, 4, 4, 7]  # ceil(2 / 0.6), then ceil(4 / 0.6)
    assert result.serving[3:9].tolist() == [2, 2, 2, 2, 4, 4]
    assert result.overload_minutes > 10
