"""The per-answer checks (cph_conformance/run/checks.py) registered with schemathesis: schemathesis.toml's hooks.

STRICT=1 also registers no_undocumented_fields. Kept apart from the checks so that the runner, the walk and the
grading read the checks without importing schemathesis.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, Response

from cph_conformance.run.checks import PAGE_CHECKS, Check, no_undocumented_fields


def json_body(response: Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _register(check: Check) -> None:
    def run(ctx: CheckContext, response: Response, case: Case[Any]) -> None:
        headers = {k: v[0] for k, v in response.headers.items() if v}
        check(case.query or {}, response.status_code, headers, json_body(response))

    run.__name__ = check.__name__
    run.__doc__ = check.__doc__
    schemathesis.check(run)


for _check in PAGE_CHECKS:
    _register(_check)
if os.environ.get("STRICT") == "1":
    _register(no_undocumented_fields)
