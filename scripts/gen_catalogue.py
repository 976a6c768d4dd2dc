"""Generate ``autoscaler/ess/_catalogue.json`` from the structured ESS reference.

The package must not depend on ``../shared`` at run time (it ships in a container),
so the facts the code needs (error codes with their HTTP status and literal message,
per action, and every action's request parameters) are extracted once into a JSON
file inside the package. ``tests/unit/test_catalogue.py`` regenerates it in memory and
fails when the committed copy drifts from the spec.

Usage: ``python scripts/gen_catalogue.py [SPEC_DIR] > autoscaler/ess/_catalogue.json``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

SPEC_FILES = ("ess-api-part1.yaml", "ess-api-part2.yaml")


def _row(err: dict[str, Any]) -> dict[str, Any]:
    return {"http_status": err.get("http_status"), "message": err.get("message")}


def build(spec_dir: Path) -> dict[str, Any]:
    common: dict[str, dict[str, Any]] = {}
    actions: dict[str, dict[str, Any]] = {}
    part1 = yaml.safe_load((spec_dir / SPEC_FILES[0]).read_text())
    part2 = yaml.safe_load((spec_dir / SPEC_FILES[1]).read_text())
    for err in part1["common"]["errors"] + part1["common"]["prerequisite_errors"]:
        common.setdefault(err["code"], _row(err))
    for group in ("client", "server"):
        for err in part2["errors"][group]:
            common.setdefault(err["code"], _row(err))
    for doc in (part1, part2):
        for action in doc["actions"]:
            params = [
                {
                    "name": p["name"],
                    "type": p.get("type"),
                    "required": bool(p.get("required")),
                }
                for p in action["request"]
                if p["name"] != "Action"
            ]
            errors: dict[str, dict[str, Any]] = {}
            for err in action.get("errors") or []:
                errors.setdefault(err["code"], _row(err))
            actions[action["name"]] = {
                "product": action.get("product", "ess"),
                "params": params,
                "errors": errors,
            }
    for err in part2["idempotence"]["error"]:
        common.setdefault(err["code"], _row(err))
    return {"api_version": "2014-08-28", "common_errors": common, "actions": actions}


def main() -> None:
    spec_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "spec"
    json.dump(build(spec_dir), sys.stdout, indent=1, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
