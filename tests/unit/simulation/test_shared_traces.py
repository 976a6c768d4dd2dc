"""Regression of the recommended policy on the shared traces, against the section-1 goal.

The goal (at most half the better baseline's overload minutes at no more than the
cheaper baseline's cost) is NOT met yet on any shared trace; see docs/benchmarks.md,
"Decision quality". Until it is, this test pins the figures reached so that a change
cannot make the recommended policy worse on either axis without being noticed, and it
checks the goal arithmetic itself. It never loosens the goal: the recorded gap is
reported as a gap.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autoscaler.simulation.workload import (
    AwsTargetTrackingBaseline,
    HpaBaseline,
    WorkloadSettings,
    load_trace,
    recommended_policy,
    simulate,
)

# trace file stem prefix -> (cost, overload minutes) of the recommended policy, plain model.
RECORDED = {
    "alibaba2018": (362384, 5),
    "azure_v2": (2546151, 0),
    "nab_Twitter": (2243330, 1239),
    "nab_cpu_utilization_asg": (2538487, 1246),
    "nab_ec2_cpu": (142259, 871),
    "nab_elb": (398304, 4156),
    "nasa_http": (2309659, 4382),
}


def _recorded(name: str) -> tuple[int, int]:
    return next(v for k, v in RECORDED.items() if name.startswith(k))


@pytest.fixture(scope="module")
def traces(shared_dir: Path) -> list[Path]:
    paths = sorted((shared_dir / "traces").glob("*.csv"))
    assert len(paths) == len(RECORDED)
    return paths


def test_the_recommended_policy_does_not_regress_on_any_shared_trace(traces: list[Path]) -> None:
    model = WorkloadSettings()
    for path in traces:
        trace = load_trace(path)
        result = simulate(trace.demand, recommended_policy(model), settings=model, start=trace.start)
        cost, overload = _recorded(trace.name)
        assert result.cost <= cost * 1.005, trace.name
        assert result.overload_minutes <= overload * 1.02 + 1, trace.name


def test_the_goal_is_computed_from_the_better_and_the_cheaper_baseline(traces: list[Path]) -> None:
    trace = load_trace(next(p for p in traces if p.name.startswith("nab_elb")))
    hpa = simulate(trace.demand, HpaBaseline(), start=trace.start)
    aws = simulate(trace.demand, AwsTargetTrackingBaseline(), start=trace.start)
    # HPA is the cheaper, AWS the one with fewer overload minutes on this trace.
    assert hpa.cost < aws.cost
    assert aws.overload_minutes < hpa.overload_minutes
    ours = simulate(trace.demand, recommended_policy(), start=trace.start)
    assert ours.overload_minutes < aws.overload_minutes  # better than both on overload...
    assert ours.cost > hpa.cost  # ...but not at HPA's price: the goal is not met here.
