"""The error_code of an error answer, judged against what Huawei's pages state for its status (each response's
x-error-codes in the spec: the codes, and the statements that state them). A status whose code no page states is
not judged; spec.error_codes_not_judged() says why. Only the code is judged: API Gateway's guide says its error
messages are subject to change without prior notice, so error_msg may say anything.

An answer with no error_code (or a body that is not JSON) is left to response_schema_conformance, which judges the
shape; this check judges only which code came.
"""

from __future__ import annotations

from collections.abc import Iterator

from cph_conformance import spec
from cph_conformance.run.checks.registry import ANSWER, Drift, check
from cph_conformance.run.transport.exchange import Exchange

JUDGED = sorted(s for s in spec.documented_statuses() if spec.error_codes(s) is not None)


def stated_for(ex: Exchange) -> bool:
    """Whether Huawei's pages state codes for the answer's status: the answers whose code this check judges. It looks
    at every answer (a run without an error answer still ran it: a check that judged nothing makes a run
    inconclusive); the others have no code to judge."""
    return ex.status is not None and spec.error_codes(ex.status) is not None


@check(
    "an error answer's error_code is one Huawei's pages state for its status (x-error-codes)",
    spec.error_code_cites(),
    f"every answer: an error's code where the pages state its status' codes ({', '.join(map(str, JUDGED))})",
    ANSWER,
    throttled_too=True,
)
def documented_error_code(ex: Exchange) -> Iterator[Drift]:
    assert ex.status is not None
    stated = spec.error_codes(ex.status)
    if stated is None:
        return
    codes, cites = stated
    code = ex.body.get("error_code") if isinstance(ex.body, dict) else None
    if isinstance(code, str) and code not in codes:
        yield Drift(
            f"{ex.status}:{code[:40]}",
            f"{ex.status} with error_code {code[:40]!r}; Huawei's pages give a {ex.status} "
            + " or ".join(sorted(codes)),
            (ex,),
            citations=cites,
        )
