"""Loading policy files: YAML, schema, cross-field checks, errors with file and line.

:func:`load_policy_file` reads ``policies/<name>.yaml``, validates it against the
pydantic schema of :mod:`autoscaler.policy.spec`, runs the checks that relate
several fields (step coverage and adjustment signs, the ESS recurrence, a rule or a
window, unique names), and builds the runtime :class:`~autoscaler.policy.build.PolicySet`.
Every problem found is reported at once, each as ``file:line: field.path: message``::

    policies/web.yaml:12: policies[1].metrics[0].target: must be > 0

The JSON Schema for editors is generated from the same models
(:func:`policy_json_schema`); ``python -m autoscaler.policy --write-schema``
rewrites ``autoscaler/policy/policy.schema.json``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from autoscaler.ess.capacity import ADJUSTMENT_RANGES, AdjustmentType
from autoscaler.ess.errors import AutoscalerError
from autoscaler.ess.recurrence import RecurrenceError
from autoscaler.policy.build import PolicySet, build_policy_set, predictive_settings, schedule_of
from autoscaler.policy.spec import (
    MetricRefSpec,
    PolicySetSpec,
    PredictiveSpec,
    ScheduledSpec,
    StepScalingSpec,
    TargetTrackingSpec,
)
from autoscaler.policy.step import StepAdjustment, check_steps
from autoscaler.policy.yamlfile import YamlError, field_path, line_of, load_yaml

__all__ = ["SCHEMA_PATH", "PolicyFileError", "Problem", "load_policy_file", "load_policy_text", "policy_json_schema"]

SCHEMA_PATH = Path(__file__).with_name("policy.schema.json")

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file: 1-based ``line``, ``field`` path, ``message``."""

    line: int
    field: str
    message: str


class PolicyFileError(AutoscalerError, ValueError):
    """A policy file that cannot be used; ``problems`` lists everything wrong with it.

    ``str(error)`` is one line per problem: ``path:line: field: message``.
    """

    def __init__(self, path: str, problems: Sequence[Problem]) -> None:
        self.path = path
        self.problems = tuple(sorted(problems, key=lambda p: (p.line, p.field)))
        super().__init__("\n".join(f"{path}:{p.line}: {p.field}: {p.message}" for p in self.problems))

    @property
    def line(self) -> int:
        return self.problems[0].line

    @property
    def field(self) -> str:
        return self.problems[0].field


def load_policy_file(path: Path | str) -> PolicySet:
    """Load, validate and build the policy set in ``path`` (raises :class:`PolicyFileError`)."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyFileError(name, [Problem(0, "(file)", f"cannot read: {exc}")]) from exc
    return load_policy_text(text, source=name)


def load_policy_text(text: str, *, source: str = "<string>") -> PolicySet:
    """Like :func:`load_policy_file` for a document already in memory."""
    try:
        document = load_yaml(text)
    except YamlError as exc:
        raise PolicyFileError(source, [Problem(exc.line, "(document)", str(exc))]) from exc
    if document is None:
        raise PolicyFileError(source, [Problem(1, "(document)", "the file is empty")])
    try:
        spec = PolicySetSpec.model_validate(document)
    except ValidationError as exc:
        problems = [_problem(document, error) for error in exc.errors()]
        raise PolicyFileError(source, problems) from exc
    problems = [Problem(line_of(document, loc), field_path(document, loc), msg) for loc, msg in _check(spec)]
    if problems:
        raise PolicyFileError(source, problems)
    return build_policy_set(spec, source=source)


def policy_json_schema() -> dict[str, Any]:
    """The JSON Schema of policy files, for editors (``$schema`` draft 2020-12)."""
    schema = PolicySetSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://autoscaler.invalid/policy.schema.json"
    schema["title"] = "autoscaler policy file"
    return schema


def render_json_schema() -> str:
    return json.dumps(policy_json_schema(), indent=2, sort_keys=True) + "\n"


# ---------------------------------------------------------------- pydantic errors


def _problem(document: Any, error: ErrorDetails) -> Problem:
    loc = tuple(error["loc"])
    return Problem(line_of(document, loc), field_path(document, loc), _message(error))


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    bounds = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}
    if kind in bounds:
        key = {"greater_than": "gt", "greater_than_equal": "ge", "less_than": "lt", "less_than_equal": "le"}[kind]
        return f"must be {bounds[kind]} {ctx.get(key)} (got {_shown(error['input'])})"
    if kind in ("literal_error", "enum"):
        return f"must be one of {ctx.get('expected')} (got {_shown(error['input'])})"
    if kind == "union_tag_invalid":
        return f"unknown type {ctx.get('tag')!r}: expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return "required field 'type' is missing (targetTracking, stepScaling, alarm, scheduled, predictive)"
    if kind == "string_pattern_mismatch":
        return f"{_shown(error['input'])} does not match {ctx.get('pattern')}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a mapping (got {_shown(error['input'])})"
    message = str(error["msg"])
    return message[:1].lower() + message[1:] + (f" (got {_shown(error['input'])})" if kind.endswith("_type") else "")


def _shown(value: object) -> str:
    """The offending input, shortened: an error line stays one readable line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------- cross-field checks


def _check(spec: PolicySetSpec) -> Iterator[tuple[Loc, str]]:
    group = spec.scaling_group
    if (group.id is None) == (group.name is None):
        yield ("scalingGroup",), "give exactly one of id, name"
    seen: dict[str, int] = {}
    for i, policy in enumerate(spec.policies):
        at: Loc = ("policies", i)
        if policy.name in seen:
            yield (*at, "name"), f"duplicate policy name {policy.name!r} (also policies[{seen[policy.name]}])"
        seen.setdefault(policy.name, i)
        if isinstance(policy, TargetTrackingSpec):
            for j, metric in enumerate(policy.metrics):
                yield from _check_metric(metric.metric, (*at, "metrics", j, "metric"))
            if policy.scale_in.max_instances is not None and policy.scale_in.max_percent is not None:
                yield (*at, "scaleIn", "maxPercent"), "give maxInstances or maxPercent, not both"
        elif isinstance(policy, StepScalingSpec):
            yield from _check_metric(policy.metric, (*at, "metric"))
            yield from _check_steps(policy, at)
        elif isinstance(policy, ScheduledSpec):
            yield from _check_scheduled(policy, at)
        elif isinstance(policy, PredictiveSpec):
            yield from _check_metric(policy.metric, (*at, "metric"))
            yield from _check_predictive(policy, spec, at)
        else:
            yield from _check_metric(policy.metric, (*at, "metric"))


def _check_metric(metric: MetricRefSpec, at: Loc) -> Iterator[tuple[Loc, str]]:
    given = [name for name in ("prometheus", "file", "synthetic") if getattr(metric, name) is not None]
    if len(given) != 1:
        yield at, f"give exactly one of prometheus, file, synthetic (got {', '.join(given) or 'none'})"


def _check_steps(policy: StepScalingSpec, at: Loc) -> Iterator[tuple[Loc, str]]:
    upward = policy.comparison_operator.upward
    kind = policy.adjustment_type
    if policy.min_adjustment_magnitude is not None and kind is not AdjustmentType.PERCENT:
        yield (*at, "minAdjustmentMagnitude"), "only applies to PercentChangeInCapacity"
    low, high = ADJUSTMENT_RANGES[kind]
    for j, step in enumerate(policy.step_adjustments):
        value = step.adjustment_value
        where = (*at, "stepAdjustments", j, "adjustmentValue")
        if not low <= value <= high:
            yield where, f"must be in [{low}, {high}] for {kind.value}"
        elif kind is not AdjustmentType.TOTAL and upward and value <= 0:
            yield where, f"must be > 0: {policy.comparison_operator.value} steps add capacity"
        elif kind is not AdjustmentType.TOTAL and not upward and value >= 0:
            yield where, f"must be < 0: {policy.comparison_operator.value} steps remove capacity"
    steps = tuple(
        StepAdjustment(lower=s.metric_interval_lower_bound, upper=s.metric_interval_upper_bound, adjustment=0)
        for s in policy.step_adjustments
    )
    problem = check_steps(steps, upward=upward)
    if problem is not None:
        yield (*at, "stepAdjustments"), problem


def _check_scheduled(policy: ScheduledSpec, at: Loc) -> Iterator[tuple[Loc, str]]:
    if (policy.scaling_rule_ari is None) == (policy.window is None):
        yield (*at, "window" if policy.window is not None else "scalingRuleAri"), \
            "give exactly one of scalingRuleAri (execute a rule) and window (hold a floor and a cap)"
    window = policy.window
    if window is not None:
        if window.floor is None and window.cap is None:
            yield (*at, "window"), "give a floor, a cap or both"
        elif window.floor is not None and window.cap is not None and window.floor > window.cap:
            yield (*at, "window", "floor"), f"floor {window.floor} is above cap {window.cap}"
    try:
        schedule_of(policy)
    except RecurrenceError as exc:
        field = exc.field[:1].lower() + exc.field[1:]
        yield (*at, field), exc.reason


def _check_predictive(policy: PredictiveSpec, spec: PolicySetSpec, at: Loc) -> Iterator[tuple[Loc, str]]:
    if policy.target > policy.full_scale:
        yield (*at, "target"), f"must be <= fullScale ({policy.full_scale:g}): a utilisation above 100 %"
        return
    try:
        predictive_settings(policy, spec)
    except ValueError as exc:
        field, _, reason = str(exc).partition(": ")
        yield (*at, _PREDICTIVE_FIELDS.get(field.rsplit(".", 1)[-1], field)), reason or str(exc)


_PREDICTIVE_FIELDS = {
    "boot_minutes": "bootMinutes", "season_minutes": "seasonMinutes", "level_alpha": "levelAlpha",
    "burst_quantile": "burstQuantile", "saturation_factor": "saturationFactor", "target": "target",
    "scale_in_window": "scaleInWindowMinutes", "horizon": "bootMinutes",
}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m autoscaler.policy --write-schema``: regenerate the JSON Schema."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args != ["--write-schema"]:
        sys.stderr.write("usage: python -m autoscaler.policy --write-schema\n")
        return 2
    SCHEMA_PATH.write_text(render_json_schema(), encoding="utf-8")
    return 0
