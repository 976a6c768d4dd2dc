"""The packaged error catalogue is the reference's, and errors carry its literal text."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from autoscaler.ess import EssError, NotFoundError, ThrottlingError, catalogue, ess_error
from autoscaler.ess.errors import from_wire


def test_packaged_catalogue_is_regenerated_from_the_spec(repo_root: Path, shared_dir: Path) -> None:
    sys.path.insert(0, str(repo_root / "scripts"))
    try:
        import gen_catalogue
    finally:
        sys.path.pop(0)
    fresh = gen_catalogue.build(shared_dir / "spec")
    packaged = json.loads((repo_root / "autoscaler/ess/_catalogue.json").read_text())
    assert fresh == packaged, "run: python scripts/gen_catalogue.py > autoscaler/ess/_catalogue.json"


def test_every_action_of_the_reference_is_catalogued() -> None:
    actions = catalogue().actions
    assert len(actions) == 46
    assert {"ExecuteScalingRule", "RedeployInstance", "RebalanceInstances"} <= set(actions)


def test_action_specific_message_wins_over_the_common_one() -> None:
    err = ess_error("ScalingActivityInProgress", action="ExecuteScalingRule")
    assert err.http_status == 400
    assert err.message.startswith("You cannot delete a scaling group or launch a new scaling activity")


def test_placeholder_is_filled_with_the_parameter_name() -> None:
    err = ess_error("MissingParameter", name="ScalingGroupId")
    assert "ScalingGroupId" in err.message
    assert "<parameter name>" not in err.message


def test_wire_errors_parse_into_the_tree() -> None:
    err = from_wire({"Code": "Throttling", "Message": "m", "RequestId": "r"}, 400)
    assert isinstance(err, ThrottlingError) and err.retryable and err.request_id == "r"
    nf = from_wire({"Code": "InvalidScalingGroupId.NotFound", "Message": "m"}, 404)
    assert isinstance(nf, NotFoundError) and not nf.retryable
    other = from_wire({"Code": "Forbidden", "Message": "m"}, 403)
    assert type(other) is EssError
