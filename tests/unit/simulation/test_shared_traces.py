"""The recommended policy on the shared traces, against the BENCHMARKS.md section-1 goal.

The goal (at most half the better baseline's overload minutes at no more than the
cheaper baseline's cost) is met on the Alibaba, Azure, Twitter, ASG and NASA traces in
both models, and asserted here. It is NOT met on EC2 and ELB (docs/benchmarks.md,
"Decision quality", gives each gap); for those this test pins the figures reached, so
that a change cannot make the recommended policy worse on either axis unnoticed. The
goal itself is never loosened: a gap is reported as a gap.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autoscaler.simulation.workload import (
    AwsTargetTrackingBaseline,
    HpaBaseline,
    SimulationResult,
    Trace,
    WorkloadSettings,
    load_trace,
    recommended_policy,
    simulate,
)

MODELS = {"plain": WorkloadSettings(), "ess": WorkloadSettings(ess_activity_blocks=True)}

# (trace file prefix, model) -> (cost, overload minutes) of the recommended policy.
RECORDED = {
    ("alibaba2018", "plain"): (362182, 0),
    ("alibaba2018", "ess"): (365260, 0),
    ("azure_v2", "plain"): (2454121, 0),
    ("azure_v2", "ess"): (2454304, 0),
    ("nab_Twitter", "plain"): (2236002, 943),
    ("nab_Twitter", "ess"): (2232701, 935),
    ("nab_cpu_utilization_asg", "plain"): (2483804, 166),
    ("nab_cpu_utilization_asg", "ess"): (2488333, 194),
    ("nab_ec2_cpu", "plain"): (158582, 623),
    ("nab_ec2_cpu", "ess"): (158668, 632),
    ("nab_elb", "plain"): (643821, 848),
    ("nab_elb", "ess"): (645067, 832),
    ("nasa_http", "plain"): (2466492, 816),
    ("nasa_http", "ess"): (2510191, 788),
}
MEETS_GOAL = {
    (prefix, model)
    for prefix in ("alibaba2018", "azure_v2", "nab_Twitter", "nab_cpu_utilization_asg", "nasa_http")
    for model in ("plain", "ess")
}


@pytest.fixture(scope="module")
def traces(shared_dir: Path) -> list[Trace]:
    paths = sorted((shared_dir / "traces").glob("*.csv"))
    assert len(paths) == 7, "expected the seven shared traces"
    return [load_trace(p) for p in paths]


def _prefix(trace: Trace) -> str:
    return next(p for p, _ in RECORDED if trace.name.startswith(p))


def _run(trace: Trace, model: WorkloadSettings) -> SimulationResult:
    return simulate(trace.demand, recommended_policy(model), settings=model, start=trace.start)


@pytest.mark.parametrize("model_name", list(MODELS))
def test_the_recommended_policy_does_not_regress_on_any_shared_trace(traces: list[Trace], model_name: str) -> None:
    model = MODELS[model_name]
    for trace in traces:
        result = _run(trace, model)
        cost, overload = RECORDED[_prefix(trace), model_name]
        assert result.cost <= cost * 1.002, trace.name
        assert result.overload_minutes <= overload * 1.01 + 1, trace.name


@pytest.mark.parametrize("model_name", list(MODELS))
def test_the_goal_is_met_where_the_benchmark_says_it_is(traces: list[Trace], model_name: str) -> None:
    model = MODELS[model_name]
    for trace in traces:
        if (_prefix(trace), model_name) not in MEETS_GOAL:
            continue
        hpa = simulate(trace.demand, HpaBaseline(), settings=model, start=trace.start)
        aws = simulate(trace.demand, AwsTargetTrackingBaseline(), settings=model, start=trace.start)
        ours = _run(trace, model)
        assert ours.overload_minutes <= min(hpa.overload_minutes, aws.overload_minutes) / 2, trace.name
        assert ours.cost <= min(hpa.cost, aws.cost), trace.name


def test_on_the_load_balancer_trace_the_goal_is_out_of_reach_on_cost(traces: list[Trace]) -> None:
    trace = next(t for t in traces if t.name.startswith("nab_elb"))
    hpa = simulate(trace.demand, HpaBaseline(), start=trace.start)
    aws = simulate(trace.demand, AwsTargetTrackingBaseline(), start=trace.start)
    # HPA is the cheaper, AWS the one with fewer overload minutes on this trace.
    assert hpa.cost < aws.cost
    assert aws.overload_minutes < hpa.overload_minutes
    ours = _run(trace, WorkloadSettings())
    assert ours.overload_minutes < aws.overload_minutes  # better than both on overload...
    assert ours.cost > hpa.cost  # ...but not at HPA's price: the goal is not met here.
