"""Loading ``config/autoscaler.yaml``: parse with positions, validate, name file:line: field.

Uses the same YAML helpers as the policy files (:mod:`autoscaler.policy.yamlfile`),
so every file the product reads reports errors the same way::

    config/autoscaler.yaml:7: ess.endpoint: must be 'embedded', 'region' or an http(s):// URL

A bad file changes nothing: the error is raised before anything is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from autoscaler.controller.config import ControllerConfig
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


def parse_config(text: str, *, path: str = "<config>") -> ControllerConfig:
    try:
        document = load_yaml(text)
    except YamlError as exc:
        raise ConfigError(path, [(exc.line, "", str(exc))]) from None
    if not isinstance(document, dict):
        raise ConfigError(path, [(1, "", "the file must be a mapping of settings")])
    try:
        return ControllerConfig.model_validate(document)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            problems.append((line_of(document, loc), field_path(document, loc), _message(dict(error))))
        raise ConfigError(path, problems) from None


def load_config(path: str | Path) -> ControllerConfig:
    """Read and validate a configuration file."""
    name = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(name, [(0, "", f"cannot read the file: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise ConfigError(name, [(0, "", "the file is not UTF-8 text")]) from None
    return parse_config(text, path=name)
