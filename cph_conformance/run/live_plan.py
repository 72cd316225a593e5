"""Plan the workflow's scheduled live job: which regions to test, or a visible notice that it is skipped.

    python -m cph_conformance.run.live_plan   # the live-plan job: writes regions= and include= to $GITHUB_OUTPUT

The workflow never hands secrets to this step, only whether each is set: CPH_AUTH_TOKEN_SET, CPH_AK_SET, ... are
"true" or "false" (GitHub's `secrets.X != ''`). With no complete credential (a token; an AK and SK; an IAM user,
password and domain) it prints a ::notice:: that says the live run was skipped and why, and plans no region.
Regions come from CPH_REGIONS (the repository variable, or the manual run's input: a JSON list), by default the
spec's default region; each must be one the spec's servers list. CPH_PROJECT_IDS (optional repository variable)
is a JSON object from region to project ID, for the token and AK/SK routes. The matrix's include list pairs each
region with its project ID ("" when the map has none: the run then names the project another way).
Exit status: 0 planned (or skipped), 2 the variables are wrong (the message says which and why).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from cph_conformance import spec

# The complete credentials, each a set of repository secrets; the run takes any one of them.
ROUTES = {
    "an IAM token": ("CPH_AUTH_TOKEN",),
    "an AK/SK": ("CPH_AK", "CPH_SK"),
    "an IAM password": ("CPH_IAM_USER", "CPH_IAM_PASSWORD", "CPH_IAM_DOMAIN"),
}
SECRETS = (*dict.fromkeys(name for names in ROUTES.values() for name in names), "CPH_SECURITY_TOKEN")
PROJECT_ID = re.compile(r"[0-9a-f]{32}")


class PlanError(Exception):
    """The repository's variables or secrets cannot make a live run; the message says which and why."""


@dataclass(frozen=True)
class Plan:
    regions: list[str]
    notice: str | None = None
    project_ids: dict[str, str] = field(default_factory=dict)

    def include(self) -> list[dict[str, str]]:
        """The live job's matrix: one entry per region, with its project ID or ""."""
        return [{"region": region, "project_id": self.project_ids.get(region, "")} for region in self.regions]


def _is_set(env: Mapping[str, str], secret: str) -> bool:
    return env.get(f"{secret}_SET", "").strip().lower() == "true"


def _json(env: Mapping[str, str], name: str, kind: type) -> object | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, kind):
        first, second = spec.regions()[:2]
        example = json.dumps([first, second]) if kind is list else json.dumps({first: "<project id>"})
        raise PlanError(f"{name} must be a JSON {kind.__name__}, e.g. {example}; it is {raw[:100]!r}")
    return value


def regions(env: Mapping[str, str]) -> list[str]:
    """CPH_REGIONS checked against the spec's regions, or the spec's default region."""
    given = _json(env, "CPH_REGIONS", list)
    if given is None:
        return [spec.default_region()]
    assert isinstance(given, list)
    if not given:
        raise PlanError("CPH_REGIONS is an empty list: name at least one region, or unset it for the default")
    for region in given:
        try:
            spec.check_region(str(region))
        except spec.UnknownRegion as exc:
            raise PlanError(f"CPH_REGIONS: {exc}") from None
    return list(dict.fromkeys(str(region) for region in given))


def project_ids(env: Mapping[str, str], planned: list[str]) -> dict[str, str]:
    given = _json(env, "CPH_PROJECT_IDS", dict)
    if given is None:
        return {}
    assert isinstance(given, dict)
    for region, project_id in given.items():
        try:
            spec.check_region(region)
        except spec.UnknownRegion as exc:
            raise PlanError(f"CPH_PROJECT_IDS: {exc}") from None
        if not isinstance(project_id, str) or not PROJECT_ID.fullmatch(project_id):
            raise PlanError(f"CPH_PROJECT_IDS[{region!r}] must be a project ID, 32 lowercase hex characters")
    return {region: given[region] for region in planned if region in given}


def plan(env: Mapping[str, str]) -> Plan:
    present = [secret for secret in SECRETS if _is_set(env, secret)]
    complete = [route for route, names in ROUTES.items() if all(_is_set(env, name) for name in names)]
    if not complete:
        if present:
            raise PlanError(
                f"the repository secrets {', '.join(present)} make no complete credential: set "
                + "; or ".join(" + ".join(names) for names in ROUTES.values())
            )
        return Plan(
            [],
            "Live conformance skipped: no repository secret holds a credential for Huawei's CPH. Set CPH_AUTH_TOKEN, "
            "or CPH_AK and CPH_SK, or CPH_IAM_USER, CPH_IAM_PASSWORD and CPH_IAM_DOMAIN (README: Against Huawei's "
            "live service).",
        )
    planned = regions(env)
    return Plan(planned, project_ids=project_ids(env, planned))


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    try:
        result = plan(env)
    except PlanError as exc:
        print(f"::error title=Live conformance not planned::{exc}")
        return 2
    if result.notice:
        print(f"::notice title=Live conformance skipped::{result.notice}")
    else:
        print(f"live conformance of {', '.join(result.regions)}")
    output = env.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as f:
            f.write(f"regions={json.dumps(result.regions)}\ninclude={json.dumps(result.include())}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
