"""Alerting: Alertmanager webhooks in, notifications out (DESIGN.md, issue 8).

- :mod:`payload`: the Alertmanager webhook payload (version 4), validated at the edge;
- :mod:`mapping`: which alert does what (execute a rule, a policy step, a capacity
  floor) and the pure function from alerts to intents, with the ClientToken;
- :mod:`queue`: the bounded, coalescing queue the controller drains once per tick
  (:class:`AlertSink`);
- :mod:`receiver`: the ASGI webhook endpoint (authentication, body limit);
- :mod:`notifier`: JSON webhooks for scaling activities (:class:`Notifier`);
- :mod:`activities`: scaling activities -> notification events (:class:`ActivityWatcher`);
- :mod:`actuator`: executes drained actions on ESS exactly once (:class:`AlertActuator`).

Other layers import from here.
"""

from autoscaler.alerting.activities import ActivityWatcher
from autoscaler.alerting.actuator import ActionOutcome, Adjustment, AlertActuator, AlertTick, RuleClient, StepResolver
from autoscaler.alerting.errors import ActuationError, AlertingError, MappingConfigError, PayloadError, QueueFullError
from autoscaler.alerting.mapping import (
    ActionIntent,
    AlertMapping,
    AlertMappings,
    ExecuteRuleAction,
    FloorAction,
    FloorIntent,
    FloorRelease,
    Intent,
    StepAction,
    client_token,
    evaluate,
    load_mappings,
)
from autoscaler.alerting.notifier import (
    Delivery,
    NotificationQueue,
    NotificationType,
    Notifier,
    NotifierSettings,
    ScalingEvent,
    WebhookNotifier,
    WebhookTarget,
    event_type,
    load_notifier_settings,
)
from autoscaler.alerting.payload import Alert, WebhookPayload, parse_payload
from autoscaler.alerting.queue import AlertIntents, AlertQueue, AlertSink, IntentSink, QueueLimits, SubmitResult
from autoscaler.alerting.receiver import AlertReceiver
from autoscaler.alerting.settings import (
    AlertingSettings,
    BasicAuth,
    BearerAuth,
    NoAuth,
    ReceiverSettings,
    TlsSettings,
    load_alerting_settings,
    load_receiver_settings,
)

__all__ = [
    "ActionIntent",
    "ActionOutcome",
    "ActivityWatcher",
    "ActuationError",
    "Adjustment",
    "Alert",
    "AlertActuator",
    "AlertIntents",
    "AlertMapping",
    "AlertMappings",
    "AlertQueue",
    "AlertReceiver",
    "AlertSink",
    "AlertTick",
    "AlertingError",
    "AlertingSettings",
    "BasicAuth",
    "BearerAuth",
    "Delivery",
    "ExecuteRuleAction",
    "FloorAction",
    "FloorIntent",
    "FloorRelease",
    "Intent",
    "IntentSink",
    "MappingConfigError",
    "NoAuth",
    "NotificationQueue",
    "NotificationType",
    "Notifier",
    "NotifierSettings",
    "PayloadError",
    "QueueFullError",
    "QueueLimits",
    "ReceiverSettings",
    "RuleClient",
    "ScalingEvent",
    "StepAction",
    "StepResolver",
    "SubmitResult",
    "TlsSettings",
    "WebhookNotifier",
    "WebhookPayload",
    "WebhookTarget",
    "client_token",
    "evaluate",
    "event_type",
    "load_alerting_settings",
    "load_mappings",
    "load_notifier_settings",
    "load_receiver_settings",
    "parse_payload",
]
