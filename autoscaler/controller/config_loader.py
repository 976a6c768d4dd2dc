"""Loading ``config/autoscaler.yaml``: parse with positions, validate, name file:line: field.

Uses the same YAML helpers as the policy files (:mod:`autoscaler.policy.yamlfile`),
so every file the product reads reports errors the same way::

    config/autoscaler.yaml:7: ess.endpoint: must be 'embedded', 'region' or an http(s):// URL

A bad file changes nothing: the error is raised before anything is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from autoscaler.controller.config import ControllerConfig, SecretRef
from autoscaler.ess.errors import AutoscalerError
from autoscaler.policy.yamlfile import YamlError, field_path, line_of, load_yaml

__all__ = ["ConfigError", "load_config", "parse_config"]


class ConfigError(AutoscalerError):
    """A configuration file is unreadable or invalid; the message names file, line and field."""

    def __init__(self, path: str, problems: list[tuple[int, str, str]]) -> None:
        self.path = path
        self.problems = problems
        lines = [f"{path}:{line}: {field}: {message}" if field else f"{path}:{line}: {message}"
                 for line, field, message in problems]
        super().__init__("\n".join(lines))


def _message(error: dict[str, Any]) -> str:
    msg = str(error.get("msg", "invalid"))
    return msg.removeprefix("Value error, ")


# Secrets of the alerting section that may be given as {env: NAME} or {file: PATH}
# references (as the ESS and Prometheus secrets are): (path to the parent, key or "*").
_ALERTING_SECRETS: tuple[tuple[tuple[str | int, ...], str], ...] = (
    (("alerting", "receiver", "auth"), "token"),
    (("alerting", "receiver", "auth"), "password"),
)


def _secret_slots(document: Any) -> list[tuple[Any, str | int, tuple[str | int, ...]]]:
    slots: list[tuple[Any, str | int, tuple[str | int, ...]]] = []
    for parent_path, key in _ALERTING_SECRETS:
        node = document
        for part in parent_path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and key in node:
            slots.append((node, key, (*parent_path, key)))
    alerting = document.get("alerting") if isinstance(document, dict) else None
    notifications = alerting.get("notifications") if isinstance(alerting, dict) else None
    targets = notifications.get("targets") if isinstance(notifications, dict) else None
    for index, target in enumerate(targets if isinstance(targets, list) else []):
        headers = target.get("headers") if isinstance(target, dict) else None
        for name in list(headers) if isinstance(headers, dict) else []:
            slots.append((headers, name, ("alerting", "notifications", "targets", index, "headers", name)))
    return slots


def _resolve_secrets(document: Any, environ: Mapping[str, str], base: Path, path: str) -> None:
    """Replace ``{env: NAME}`` / ``{file: PATH}`` alerting secrets by their values, in place."""
    problems = []
    for parent, key, loc in _secret_slots(document):
        ref = parent[key]
        if not isinstance(ref, dict) or set(ref) not in ({"env"}, {"file"}):
            continue
        try:
            parent[key] = SecretRef.model_validate(dict(ref)).resolve(dict(environ), base=base).get_secret_value()
        except (ValueError, ValidationError) as exc:
            problems.append((line_of(document, loc), field_path(document, loc), str(exc).splitlines()[0]))
    if problems:
        raise ConfigError(path, problems)


def parse_config(
    text: str, *, path: str = "<config>", environ: Mapping[str, str] | None = None, base: Path | None = None
) -> ControllerConfig:
    """Validate a configuration; with ``environ``, alerting secret references are resolved."""
    try:
        document = load_yaml(text)
    except YamlError as exc:
        raise ConfigError(path, [(exc.line, "", str(exc))]) from None
    if not isinstance(document, dict):
        raise ConfigError(path, [(1, "", "the file must be a mapping of settings")])
    if environ is not None:
        _resolve_secrets(document, environ, base or Path("."), path)
    try:
        return ControllerConfig.model_validate(document)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            problems.append((line_of(document, loc), field_path(document, loc), _message(dict(error))))
        raise ConfigError(path, problems) from None


def load_config(path: str | Path, *, environ: Mapping[str, str] | None = None) -> ControllerConfig:
    """Read and validate a configuration file (``environ``: resolve alerting secret references)."""
    name = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(name, [(0, "", f"cannot read the file: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise ConfigError(name, [(0, "", "the file is not UTF-8 text")]) from None
    return parse_config(text, path=name, environ=environ, base=Path(path).resolve().parent)
