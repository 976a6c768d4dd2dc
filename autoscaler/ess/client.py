"""The asynchronous ESS client: one typed method per action the product uses.

Built like httpx's own clients are meant to be used (STYLE.md habits 7 and 8):

- signing is an ``httpx.Auth`` flow (:class:`~autoscaler.ess._signing.SignatureV1Auth`)
  over pure functions; each attempt gets a new SignatureNonce and Timestamp;
- the transport is injected: ``httpx.MockTransport`` in unit tests, the network for
  the cloud or a standalone emulator, ``httpx.ASGITransport(app)`` for the embedded
  emulator, so even the embedded mode goes through the wire format;
- retries are data (:class:`~autoscaler.ess._retry.RetryPolicy`) with injected sleep
  and randomness; the caller's ClientToken is fixed before the loop, so a retried
  ExecuteScalingRule cannot create a second activity;
- every error is an :class:`~autoscaler.ess.errors.EssError` with code, message, HTTP
  status and RequestId; transport failures are :class:`TransportError`. Secrets are
  redacted from every message (the SignatureDoesNotMatch message echoes the
  string to sign, which contains the security token).

Example::

    async with EssClient(credentials=creds, region="cn-hangzhou", clock=SystemClock()) as ess:
        groups = await ess.describe_scaling_groups()
        activity = await ess.execute_scaling_rule(rule.scaling_rule_ari, client_token=token)
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import httpx

from autoscaler.clock import Clock
from autoscaler.ess import model
from autoscaler.ess._retry import RetryPolicy, Sleeper, call_with_retries
from autoscaler.ess._signing import SignatureV1Auth, percent_encode
from autoscaler.ess.credentials import Credentials
from autoscaler.ess.errors import EssError, TransportError, from_wire
from autoscaler.ess.wire import WireFormatError, flatten, format_minute, parse_json

__all__ = ["ECS_VERSION", "ESS_VERSION", "EssClient", "RuleRef", "endpoint_for_region"]

log = logging.getLogger("autoscaler.ess.client")

ESS_VERSION = "2014-08-28"
ECS_VERSION = "2014-05-26"
MAX_PAGE_SIZE = 50

# The reference's endpoint table (ess-api-part1.yaml service.endpoints), by region id.
_CENTRAL = "ess.aliyuncs.com"
_REGIONAL = {
    "cn-zhangjiakou": "ess.cn-zhangjiakou.aliyuncs.com",
    "cn-huhehaote": "ess.cn-huhehaote.aliyuncs.com",
    "ap-southeast-2": "ess.ap-southeast-2.aliyuncs.com",
    "ap-southeast-3": "ess.ap-southeast-3.aliyuncs.com",
    "ap-southeast-5": "ess.ap-southeast-5.aliyuncs.com",
    "ap-northeast-1": "ess.ap-northeast-1.aliyuncs.com",
    "eu-west-1": "ess.eu-west-1.aliyuncs.com",
    "eu-central-1": "ess.eu-central-1.aliyuncs.com",
    "me-east-1": "ess.me-east-1.aliyuncs.com",
    "ap-south-1": "ess.ap-south-1.aliyuncs.com",
}
_CENTRAL_REGIONS = frozenset(
    {"cn-qingdao", "cn-beijing", "cn-hangzhou", "cn-shanghai", "cn-shenzhen", "cn-hongkong",
     "ap-southeast-1", "us-west-1", "us-east-1"}
)

M = TypeVar("M", bound=model._WireModel)


def endpoint_for_region(region: str) -> str:
    """``https://`` endpoint of ``region`` from the reference's table."""
    if region in _REGIONAL:
        return f"https://{_REGIONAL[region]}"
    if region in _CENTRAL_REGIONS:
        return f"https://{_CENTRAL}"
    raise ValueError(f"region: {region!r} is not in the reference's endpoint table; pass endpoint= explicitly")


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleRef:
    """What CreateScalingRule answers: the rule's id and its ARI (for ExecuteScalingRule)."""

    scaling_rule_id: str
    scaling_rule_ari: str


def _default_rng() -> random.Random:
    return random.Random()  # jitter only; not security-sensitive


class EssClient:
    """Asynchronous ESS (and the few ECS) API client; see the module docstring."""

    def __init__(
        self,
        *,
        credentials: Credentials,
        region: str,
        clock: Clock,
        endpoint: str | None = None,
        ecs_endpoint: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
        sleep: Sleeper = asyncio.sleep,
        rng: random.Random | None = None,
        nonce: Callable[[], str] | None = None,
        observer: Callable[[str, str], None] | None = None,
    ) -> None:
        if not region:
            raise ValueError("region: required")
        if timeout <= 0:
            raise ValueError(f"timeout: must be > 0 seconds (got {timeout})")
        self.region = region
        self._credentials = credentials
        self._endpoint = (endpoint or endpoint_for_region(region)).rstrip("/") + "/"
        self._ecs_endpoint = (ecs_endpoint or endpoint or "https://ecs.aliyuncs.com").rstrip("/") + "/"
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or _default_rng()
        auth = SignatureV1Auth(credentials, clock=clock, **({"nonce": nonce} if nonce else {}))
        self._http = httpx.AsyncClient(auth=auth, transport=transport, timeout=timeout, trust_env=False)
        self._secrets = _secret_forms(credentials)
        # Told (action, code) for every attempt: "OK", an ESS code, or a transport code.
        self._observe: Callable[[str, str], None] = observer or (lambda action, code: None)

    def __repr__(self) -> str:
        return f"EssClient(endpoint={self._endpoint!r}, region={self.region!r}, credentials={self._credentials!r})"

    async def __aenter__(self) -> EssClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the wire ---------------------------------------------------------------------

    async def call(
        self, action: str, params: Mapping[str, object] | None = None, *, ecs: bool = False
    ) -> dict[str, Any]:
        """Send one action with retries; return the JSON body (with ``RequestId``)."""
        wire = flatten(params or {})
        wire.update(Action=action, Version=ECS_VERSION if ecs else ESS_VERSION, Format="JSON")
        url = self._ecs_endpoint if ecs else self._endpoint

        async def attempt() -> dict[str, Any]:
            try:
                body = await self._send(url, action, wire)
            except EssError as exc:
                self._observe(action, exc.code)
                raise
            self._observe(action, "OK")
            return body

        return await call_with_retries(
            attempt, action=action, policy=self._retry, sleep=self._sleep, rng=self._rng,
            monotonic=self._clock.monotonic,
        )

    async def _send(self, url: str, action: str, wire: Mapping[str, str]) -> dict[str, Any]:
        try:
            response = await self._http.post(url, data=dict(wire))
        except httpx.TimeoutException as exc:
            raise TransportError(f"{action}: timed out ({type(exc).__name__})", code="Timeout") from exc
        except httpx.HTTPError as exc:
            message = self._redact(f"{action}: {type(exc).__name__}: {exc}")
            raise TransportError(message, code="ConnectionError") from exc
        try:
            body = parse_json(response.content)
        except WireFormatError as exc:
            raise TransportError(
                f"{action}: HTTP {response.status_code} with an unreadable body ({exc})", code="InvalidResponse"
            ) from None
        if response.is_success:
            log.debug("%s: ok (RequestId %s)", action, body.get("RequestId"))
            return body
        error = from_wire(body, response.status_code)
        error.message = self._redact(error.message)
        error.args = (f"{error.code}: {error.message}",)
        raise error

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return text

    async def _pages(
        self, action: str, params: Mapping[str, object], outer: str, inner: str, limit: int | None = None
    ) -> AsyncIterator[Any]:
        """Every item (or the first ``limit``) of a paginated Describe* action, fetching 50 per page."""
        page = 1
        seen = 0
        while True:
            body = await self.call(action, {**params, "PageNumber": page, "PageSize": MAX_PAGE_SIZE})
            items = _unwrap(body.get(outer), inner)
            for item in items:
                yield item
            seen += len(items)
            total = int(body.get("TotalCount", seen) or 0)
            if not items or seen >= total or (limit is not None and seen >= limit):
                return
            page += 1

    async def _describe(
        self, cls: type[M], action: str, params: Mapping[str, object], outer: str, inner: str,
        limit: int | None = None,
    ) -> list[M]:
        out: list[M] = []
        async for item in self._pages(action, params, outer, inner, limit):
            try:
                out.append(cls.from_wire(item, path=f"{outer}.{inner}"))
            except model.WireFormatError as exc:
                raise TransportError(f"{action}: {exc}", code="InvalidResponse") from None
        return out

    # -- scaling groups ----------------------------------------------------------------

    async def describe_scaling_groups(
        self, *, scaling_group_ids: Sequence[str] = (), names: Sequence[str] = ()
    ) -> list[model.ScalingGroup]:
        params = {"RegionId": self.region, "ScalingGroupId": list(scaling_group_ids), "ScalingGroupName": list(names)}
        return await self._describe(
            model.ScalingGroup, "DescribeScalingGroups", params, "ScalingGroups", "ScalingGroup"
        )

    async def create_scaling_group(self, *, min_size: int, max_size: int, **options: object) -> str:
        """Options by wire name: ``ScalingGroupName``, ``DefaultCooldown``, ``RemovalPolicy=[...]``, ..."""
        params = {"RegionId": self.region, "MinSize": min_size, "MaxSize": max_size, **options}
        return str((await self.call("CreateScalingGroup", params))["ScalingGroupId"])

    async def modify_scaling_group(self, scaling_group_id: str, **options: object) -> None:
        await self.call("ModifyScalingGroup", {"ScalingGroupId": scaling_group_id, **options})

    async def enable_scaling_group(
        self, scaling_group_id: str, *, configuration_id: str | None = None, instance_ids: Sequence[str] = ()
    ) -> None:
        params = {"ScalingGroupId": scaling_group_id, "ActiveScalingConfigurationId": configuration_id,
                  "InstanceId": list(instance_ids)}
        await self.call("EnableScalingGroup", params)

    async def disable_scaling_group(self, scaling_group_id: str) -> None:
        await self.call("DisableScalingGroup", {"ScalingGroupId": scaling_group_id})

    async def delete_scaling_group(self, scaling_group_id: str, *, force: bool = False) -> None:
        await self.call("DeleteScalingGroup", {"ScalingGroupId": scaling_group_id, "ForceDelete": force})

    # -- scaling configurations ------------------------------------------------------------

    async def create_scaling_configuration(
        self, scaling_group_id: str, *, instance_type: str, security_group_id: str, **options: object
    ) -> str:
        params = {"ScalingGroupId": scaling_group_id, "InstanceType": instance_type,
                  "SecurityGroupId": security_group_id, **options}
        return str((await self.call("CreateScalingConfiguration", params))["ScalingConfigurationId"])

    async def describe_scaling_configurations(
        self, *, scaling_group_id: str | None = None, configuration_ids: Sequence[str] = ()
    ) -> list[model.ScalingConfiguration]:
        params = {"RegionId": self.region, "ScalingGroupId": scaling_group_id,
                  "ScalingConfigurationId": list(configuration_ids)}
        return await self._describe(model.ScalingConfiguration, "DescribeScalingConfigurations", params,
                                    "ScalingConfigurations", "ScalingConfiguration")

    async def delete_scaling_configuration(self, configuration_id: str) -> None:
        await self.call("DeleteScalingConfiguration", {"ScalingConfigurationId": configuration_id})

    # -- scaling rules --------------------------------------------------------------

    async def create_scaling_rule(
        self, scaling_group_id: str, *, adjustment_type: str, adjustment_value: int,
        name: str | None = None, cooldown: int | None = None, **options: object,
    ) -> RuleRef:
        params = {"ScalingGroupId": scaling_group_id, "AdjustmentType": adjustment_type,
                  "AdjustmentValue": adjustment_value, "ScalingRuleName": name, "Cooldown": cooldown, **options}
        body = await self.call("CreateScalingRule", params)
        return RuleRef(scaling_rule_id=str(body["ScalingRuleId"]), scaling_rule_ari=str(body["ScalingRuleAri"]))

    async def modify_scaling_rule(self, scaling_rule_id: str, **options: object) -> None:
        """Options by wire name: ``AdjustmentType``, ``AdjustmentValue``, ``ScalingRuleName``, ``Cooldown``."""
        await self.call("ModifyScalingRule", {"ScalingRuleId": scaling_rule_id, **options})

    async def describe_scaling_rules(
        self, *, scaling_group_id: str | None = None, rule_ids: Sequence[str] = (), names: Sequence[str] = (),
        aris: Sequence[str] = (),
    ) -> list[model.ScalingRule]:
        params = {"RegionId": self.region, "ScalingGroupId": scaling_group_id, "ScalingRuleId": list(rule_ids),
                  "ScalingRuleName": list(names), "ScalingRuleAri": list(aris)}
        return await self._describe(model.ScalingRule, "DescribeScalingRules", params, "ScalingRules", "ScalingRule")

    async def delete_scaling_rule(self, scaling_rule_id: str) -> None:
        await self.call("DeleteScalingRule", {"ScalingRuleId": scaling_rule_id})

    async def execute_scaling_rule(self, scaling_rule_ari: str, *, client_token: str | None = None) -> str:
        """Run a rule now; returns the ScalingActivityId (the same one for a repeated token)."""
        body = await self.call("ExecuteScalingRule", {"ScalingRuleAri": scaling_rule_ari, "ClientToken": client_token})
        return str(body["ScalingActivityId"])

    # -- activities and instances ------------------------------------------------------

    async def describe_scaling_activities(
        self, *, scaling_group_id: str | None = None, activity_ids: Sequence[str] = (), status_code: str | None = None,
        limit: int | None = None,
    ) -> list[model.ScalingActivity]:
        """Newest first; ``limit`` stops after that many (a tick needs only the recent ones)."""
        params = {"RegionId": self.region, "ScalingGroupId": scaling_group_id,
                  "ScalingActivityId": list(activity_ids), "StatusCode": status_code}
        return await self._describe(model.ScalingActivity, "DescribeScalingActivities", params,
                                    "ScalingActivities", "ScalingActivity", limit)

    async def describe_scaling_instances(
        self, *, scaling_group_id: str | None = None, instance_ids: Sequence[str] = (),
        lifecycle_state: str | None = None, health_status: str | None = None, creation_type: str | None = None,
    ) -> list[model.ScalingInstance]:
        params = {"RegionId": self.region, "ScalingGroupId": scaling_group_id, "InstanceId": list(instance_ids),
                  "LifecycleState": lifecycle_state, "HealthStatus": health_status, "CreationType": creation_type}
        return await self._describe(model.ScalingInstance, "DescribeScalingInstances", params,
                                    "ScalingInstances", "ScalingInstance")

    async def attach_instances(
        self, scaling_group_id: str, instance_ids: Sequence[str], *, weights: Sequence[int] = ()
    ) -> str:
        params = {"ScalingGroupId": scaling_group_id, "InstanceId": list(instance_ids),
                  "LoadBalancerWeight": list(weights)}
        return str((await self.call("AttachInstances", params))["ScalingActivityId"])

    async def remove_instances(
        self, scaling_group_id: str, instance_ids: Sequence[str], *, remove_policy: str | None = None
    ) -> str:
        params = {"ScalingGroupId": scaling_group_id, "InstanceId": list(instance_ids), "RemovePolicy": remove_policy}
        return str((await self.call("RemoveInstances", params))["ScalingActivityId"])

    async def detach_instances(self, scaling_group_id: str, instance_ids: Sequence[str]) -> str:
        params = {"ScalingGroupId": scaling_group_id, "InstanceId": list(instance_ids)}
        body = await self.call("DetachInstances", params)
        return str(body["ScalingActivityId"])

    async def enter_standby(self, scaling_group_id: str, instance_ids: Sequence[str]) -> None:
        await self.call("EnterStandby", {"ScalingGroupId": scaling_group_id, "InstanceId": list(instance_ids)})

    async def exit_standby(self, scaling_group_id: str, instance_ids: Sequence[str]) -> None:
        await self.call("ExitStandby", {"ScalingGroupId": scaling_group_id, "InstanceId": list(instance_ids)})

    async def set_instances_protection(
        self, scaling_group_id: str, instance_ids: Sequence[str], *, protected: bool
    ) -> None:
        params = {"ScalingGroupId": scaling_group_id, "InstanceId": list(instance_ids),
                  "ProtectedFromScaleIn": protected}
        await self.call("SetInstancesProtection", params)

    async def rebalance_instances(self, scaling_group_id: str) -> str:
        body = await self.call("RebalanceInstances", {"RegionId": self.region, "ScalingGroupId": scaling_group_id})
        return str(body["ScalingActivityId"])

    # -- scheduled tasks ------------------------------------------------------------

    async def create_scheduled_task(
        self, *, scheduled_action: str, launch_time: datetime, **options: object
    ) -> str:
        """Options by wire name: ``ScheduledTaskName``, ``RecurrenceType``, ``RecurrenceValue``, ...

        Times (``LaunchTime``, ``RecurrenceEndTime``) go out as ``YYYY-MM-DDThh:mmZ``.
        """
        params = {"RegionId": self.region, "ScheduledAction": scheduled_action,
                  "LaunchTime": format_minute(launch_time), **_minutes(options)}
        return str((await self.call("CreateScheduledTask", params))["ScheduledTaskId"])

    async def modify_scheduled_task(self, scheduled_task_id: str, **options: object) -> None:
        await self.call("ModifyScheduledTask", {"ScheduledTaskId": scheduled_task_id, **_minutes(options)})

    async def describe_scheduled_tasks(self, *, task_ids: Sequence[str] = ()) -> list[model.ScheduledTask]:
        params = {"RegionId": self.region, "ScheduledTaskId": list(task_ids)}
        return await self._describe(model.ScheduledTask, "DescribeScheduledTasks", params,
                                    "ScheduledTasks", "ScheduledTask")

    async def delete_scheduled_task(self, scheduled_task_id: str) -> None:
        await self.call("DeleteScheduledTask", {"ScheduledTaskId": scheduled_task_id})

    # -- lifecycle hooks --------------------------------------------------------------

    async def create_lifecycle_hook(
        self, scaling_group_id: str, *, transition: str, **options: object
    ) -> str:
        params = {"ScalingGroupId": scaling_group_id, "LifecycleTransition": transition, **options}
        return str((await self.call("CreateLifecycleHook", params))["LifecycleHookId"])

    async def modify_lifecycle_hook(self, lifecycle_hook_id: str, **options: object) -> None:
        await self.call("ModifyLifecycleHook", {"LifecycleHookId": lifecycle_hook_id, **options})

    async def describe_lifecycle_hooks(
        self, *, scaling_group_id: str | None = None, hook_ids: Sequence[str] = ()
    ) -> list[model.LifecycleHook]:
        params = {"ScalingGroupId": scaling_group_id, "LifecycleHookId": list(hook_ids)}
        return await self._describe(model.LifecycleHook, "DescribeLifecycleHooks", params,
                                    "LifecycleHooks", "LifecycleHook")

    async def delete_lifecycle_hook(self, lifecycle_hook_id: str) -> None:
        await self.call("DeleteLifecycleHook", {"LifecycleHookId": lifecycle_hook_id})

    async def complete_lifecycle_action(
        self, lifecycle_hook_id: str, token: str, *, result: str = "CONTINUE"
    ) -> None:
        params = {"LifecycleHookId": lifecycle_hook_id, "LifecycleActionToken": token,
                  "LifecycleActionResult": result}
        await self.call("CompleteLifecycleAction", params)

    async def record_lifecycle_action_heartbeat(
        self, lifecycle_hook_id: str, token: str, *, heartbeat_timeout: int | None = None
    ) -> None:
        params = {"LifecycleHookId": lifecycle_hook_id, "LifecycleActionToken": token,
                  "HeartbeatTimeout": heartbeat_timeout}
        await self.call("RecordLifecycleActionHeartbeat", params)

    # -- notifications --------------------------------------------------------------

    async def create_notification_configuration(
        self, scaling_group_id: str, notification_arn: str, types: Sequence[str]
    ) -> None:
        params = {"ScalingGroupId": scaling_group_id, "NotificationArn": notification_arn,
                  "NotificationType": list(types)}
        await self.call("CreateNotificationConfiguration", params)

    async def modify_notification_configuration(
        self, scaling_group_id: str, notification_arn: str, types: Sequence[str]
    ) -> None:
        params = {"ScalingGroupId": scaling_group_id, "NotificationArn": notification_arn,
                  "NotificationType": list(types)}
        await self.call("ModifyNotificationConfiguration", params)

    async def describe_notification_configurations(
        self, scaling_group_id: str
    ) -> list[model.NotificationConfiguration]:
        body = await self.call("DescribeNotificationConfigurations", {"ScalingGroupId": scaling_group_id})
        items = _unwrap(body.get("NotificationConfigurationModels"), "NotificationConfigurationModel")
        return [model.NotificationConfiguration.from_wire(item) for item in items]

    async def delete_notification_configuration(self, scaling_group_id: str, notification_arn: str) -> None:
        params = {"ScalingGroupId": scaling_group_id, "NotificationArn": notification_arn}
        await self.call("DeleteNotificationConfiguration", params)

    # -- ECS (API 2014-05-26) ------------------------------------------------------------

    async def redeploy_instance(self, instance_id: str, *, force_stop: bool = False) -> str:
        """ECS RedeployInstance; returns the TaskId to follow with :meth:`describe_tasks`."""
        body = await self.call("RedeployInstance", {"InstanceId": instance_id, "ForceStop": force_stop}, ecs=True)
        return str(body["TaskId"])

    async def describe_tasks(self, task_ids: Sequence[str], *, task_action: str | None = None) -> list[dict[str, Any]]:
        """ECS DescribeTasks: ``[{"TaskId", "TaskAction", "TaskStatus", ...}]``."""
        params = {"RegionId": self.region, "TaskIds": ",".join(task_ids), "TaskAction": task_action}
        body = await self.call("DescribeTasks", params, ecs=True)
        return [dict(item) for item in _unwrap(body.get("TaskSet"), "Task")]

    async def describe_instance_history_events(
        self, *, instance_id: str | None = None, event_ids: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        """ECS DescribeInstanceHistoryEvents: the system events of instances."""
        params = {"RegionId": self.region, "InstanceId": instance_id, "EventId": list(event_ids)}
        body = await self.call("DescribeInstanceHistoryEvents", params, ecs=True)
        return [dict(item) for item in _unwrap(body.get("InstanceSystemEventSet"), "InstanceSystemEventType")]


def _unwrap(value: Any, inner: str) -> list[Any]:
    if isinstance(value, dict):
        value = value.get(inner, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise TransportError(f"response: expected a list under {inner!r}", code="InvalidResponse")
    return value


def _minutes(options: Mapping[str, object]) -> dict[str, object]:
    """Scheduled-task times in the minute format the reference documents."""
    return {k: format_minute(v) if isinstance(v, datetime) else v for k, v in options.items()}


def _secret_forms(credentials: Credentials) -> list[str]:
    """Every spelling of a secret that could appear in a message (raw, once or twice encoded)."""
    forms: list[str] = []
    for secret in (credentials.access_key_secret, credentials.security_token):
        if secret:
            once = percent_encode(secret)
            forms.extend({secret, once, percent_encode(once)})
    return sorted(forms, key=len, reverse=True)

