"""YAML with positions: load a document and find the line of any field path.

ruamel.yaml's round-trip loader keeps the line and column of every mapping key and
sequence item; :func:`line_of` walks a validation error's location (keys and
indices) through the loaded document to the deepest node that exists, so an error
on a missing field points at the mapping that lacks it and an error on a bad value
points at its own line. :func:`field_path` writes a location the way a reader
looks for it: ``policies[1].metrics[0].target``.

The controller's configuration loader uses the same helpers, so that every file
the product reads reports errors the same way.

Only safe YAML is accepted (no tags that construct Python objects); duplicate keys
are an error, as they almost always hide a mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

__all__ = ["YamlError", "field_path", "line_of", "load_yaml"]


class YamlError(ValueError):
    """The text is not valid YAML; ``line`` is 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def load_yaml(text: str) -> Any:
    """Parse ``text`` into ruamel's position-keeping mappings and sequences."""
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # An error found at the end of the stream is reported on the last line, not after it.
        line = min(mark.line + 1, max(1, len(text.splitlines()))) if mark is not None else 0
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError(f"invalid YAML: {problem}", line) from exc
    except YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", 0) from exc


def line_of(document: Any, loc: Sequence[str | int]) -> int:
    """The 1-based line of the deepest node of ``loc`` present in ``document``."""
    node = document
    line = document.lc.line + 1 if isinstance(document, CommentedMap | CommentedSeq) else 1
    for part in loc:
        if isinstance(node, CommentedMap) and isinstance(part, str) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedMap | CommentedSeq):
            continue  # a union tag or a missing key: stay on the parent's line
        else:
            break
    return line


def field_path(document: Any, loc: Sequence[str | int]) -> str:
    """``policies[1].metrics[0].target`` for ``("policies", 1, "targetTracking", "metrics", 0, "target")``.

    Parts that are not in the document (pydantic's union tags) are dropped, except
    the last one, which names a missing field.
    """
    node = document
    out = ""
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, CommentedSeq) and isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if 0 <= part < len(node) else None
        elif isinstance(node, CommentedMap) and isinstance(part, str) and (part in node or last):
            out += f".{part}" if out else part
            node = node.get(part)
        elif node is None or not isinstance(node, CommentedMap | CommentedSeq):
            out += f".{part}" if isinstance(part, str) else f"[{part}]"
    return out or "(document)"
