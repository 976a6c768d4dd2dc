"""A short scripted trace through the real tick and the emulator, decision by decision.

The capacity per instance is 1 (demand in instances at 100 %), the target 60 %, boot
180 s, and the policy is target tracking with a tolerance of 0.1. Every expectation
below is computed by hand in the comments, from BENCHMARKS.md section 1 (the tick at
the start of minute ``m`` sees the utilisation of minute ``m - 1``; an instance
launched at minute ``m`` serves from ``m + 3``), the target-tracking formula
``ceil(serving * u / target)``, the controller's gates and the emulator's semantics.
"""

from __future__ import annotations

import numpy as np

from autoscaler.policy.loader import load_policy_text
from autoscaler.simulation.replay import ReplaySettings, replay
from autoscaler.simulation.workload import Trace

START = 1_700_000_040  # a whole minute (epoch seconds)


def _policy(stabilization: int) -> str:
    return f"""
apiVersion: autoscaler/v1
version: 1
scalingGroup: {{name: scripted}}
estimatedInstanceWarmup: 180
metricMaxAge: 300
policies:
  - type: targetTracking
    name: cpu
    metrics:
      - metric: {{prometheus: 'avg(cpu_percent)'}}
        kind: utilization
        target: 60
    tolerance: 0.1
    scaleIn: {{stabilizationWindow: {stabilization}}}
"""


def _trace(values: list[float]) -> Trace:
    return Trace(name="scripted", start=START, demand=np.array(values, dtype=np.float64))


def test_scale_out_clamping_activity_in_progress_cooldown_and_rounding_match_the_hand_computation() -> None:
    # minutes 0-4: demand 3 -> start ceil(3 / 0.6) = 5 instances at u = 0.6: in the band, no decision.
    # minute 5: demand 12 -> u = min(1, 12 / 5) = 1.0.
    # minutes 6-15: demand 1.5.
    trace = _trace([3.0] * 5 + [12.0] + [1.5] * 10)
    settings = ReplaySettings(capacity_per_instance=1.0, max_size=8)
    result = replay(trace, load_policy_text(_policy(0)), settings=settings)

    got = [(d.minute, d.direction, d.target, d.result) for d in result.decisions]
    assert got == [
        # tick 6 sees u = 100 % on 5 serving: ceil(5 * 100 / 60) = ceil(8.33) = 9, clamped to MaxSize 8.
        (6, "out", 8, "executed"),
        # tick 7, 8 see u = 1.5 / 5 = 30 % on 5 serving (3 launching): ceil(5 * 30 / 60) = ceil(2.5) = 3;
        # the scale-out activity runs until its instances are InService at minute 9.
        (7, "in", 3, "suppressed"),
        (8, "in", 3, "suppressed"),
        # tick 9: the 3 new instances serve now (8 serving), but the sample of minute 8 (30 %) was
        # measured on the 5 that served then: the load is 5 * 30 / 60 = 2.5 -> 3, not 8 * 30 / 60 = 4;
        # the scale-out ended at minute 9: no scale-in before 9 + 300 s = minute 14.
        (9, "in", 3, "suppressed"),
        # ticks 10-13: u = 1.5 / 8 = 18.75 %: ceil(8 * 18.75 / 60) = ceil(2.5) = 3, still cooling down.
        (10, "in", 3, "suppressed"),
        (11, "in", 3, "suppressed"),
        (12, "in", 3, "suppressed"),
        (13, "in", 3, "suppressed"),
        # tick 14: the cooldown is over; ESS removes 5 (the newest first) at once.
        (14, "in", 3, "executed"),
        # tick 15: u = 1.5 / 3 = 50 %: ceil(3 * 50 / 60) = ceil(2.5) = 3 = total: no decision.
    ]
    reasons = [d.reason for d in result.decisions]
    assert "limited by" in reasons[0] and "max_size" in reasons[0]
    assert all("scaling activity is in progress" in r for r in reasons[1:3])
    assert all("cooldown until" in r for r in reasons[3:8])
    assert result.total.tolist() == [5] * 6 + [8] * 8 + [3] * 2
    # launched at minute 6, serving from minute 9
    assert result.serving.tolist() == [5] * 9 + [8] * 5 + [3] * 2
    assert result.scaling_activities == 2
    # cost and overload from the timeline: minute 5 is the only overloaded one (12 > 5 * 1).
    assert result.cost == 5 * 6 + 8 * 8 + 3 * 2
    assert result.overload_minutes == 1


def test_scale_in_waits_for_the_stabilization_window() -> None:
    # minutes 0-4: demand 3 -> 5 instances at 60 %; from minute 5 demand 1.2 -> u = 1.2 / 5 = 24 %.
    # From tick 6 the recommendation is ceil(5 * 24 / 60) = 2, but the window of 180 s still holds
    # the 5 of ticks 3, 4 and 5: tick 7 sees 4, 5; tick 8 sees 5; tick 9 (window ticks 6-9) sees only 2.
    trace = _trace([3.0] * 5 + [1.2] * 7)
    result = replay(trace, load_policy_text(_policy(180)), settings=ReplaySettings(capacity_per_instance=1.0))

    got = [(d.minute, d.direction, d.target, d.result) for d in result.decisions]
    assert got == [(9, "in", 2, "executed")]
    assert result.total.tolist() == [5] * 9 + [2] * 3
    # 1.2 / 2 = 60 %: on target afterwards.
    assert result.utilization[-1] == 0.6


def test_every_metric_reference_of_a_policy_file_reads_the_replay_utilisation() -> None:
    # The file names a Prometheus query; the replay has no Prometheus, yet the policy acts on the
    # replay's utilisation (a missing metric would hold at the start size instead).
    trace = _trace([3.0] * 3 + [1.2] * 4)
    result = replay(trace, load_policy_text(_policy(0)), settings=ReplaySettings(capacity_per_instance=1.0))
    assert [(d.minute, d.target, d.result) for d in result.decisions] == [(4, 2, "executed")]


STEP_POLICY = """
apiVersion: autoscaler/v1
version: 1
scalingGroup: {name: scripted}
estimatedInstanceWarmup: 180
policies:
  - type: stepScaling
    name: steps
    metric: {prometheus: 'avg(cpu_percent)'}
    comparisonOperator: GreaterThanOrEqualToThreshold
    breachThreshold: 80
    evaluationPeriods: 2
    adjustmentType: PercentChangeInCapacity
    stepAdjustments:
      - metricIntervalLowerBound: 0
        adjustmentValue: 50
"""


def test_percent_steps_round_half_away_from_zero_wait_for_warm_up_and_clamp_to_max_size() -> None:
    # minutes 0-2: demand 3 -> 5 instances at 60 %; from minute 3 demand 4.5 -> 4.5 / 5 = 90 % >= 80.
    trace = _trace([3.0] * 3 + [4.5] * 7)
    result = replay(trace, load_policy_text(STEP_POLICY), settings=ReplaySettings(capacity_per_instance=1.0,
                                                                                   max_size=10))
    got = [(d.minute, d.direction, d.target, d.result) for d in result.decisions]
    assert got == [
        # tick 4: first breach of two; tick 5: second: +50 % of 5 = 2.5, rounded half away from zero = 3 -> 8.
        (5, "out", 8, "executed"),
        # ticks 6, 7: still 90 % on the 5 serving, but the 3 new ones warm up until minute 8: nothing more.
        # tick 8: warm-up over, 90 % again: +50 % of 8 = 4 -> 12, clamped to MaxSize 10.
        (8, "out", 10, "executed"),
        # tick 9: 4.5 / 8 = 56.25 % does not breach.
    ]
    assert "PercentChangeInCapacity +50 on 5 = 8" in result.decisions[0].reason
    assert result.total.tolist() == [5] * 5 + [8] * 3 + [10] * 2
    assert result.serving.tolist() == [5] * 8 + [8] * 2
