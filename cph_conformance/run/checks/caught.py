"""Which check must catch each of the mock's faults (cph_conformance.mock.faults), by the fault's name: its identity on
the command line (--fault, CPH_MOCK_FAULT). The table is the run's, not the mock's: the mock never imports the run
(the run starts it; the layers are spec, wheel, mock, run).

Each entry holds the Check itself, and the statements its failure cites when they are fewer than the check's own
(a schema's node cites its own statements). The faults the run must pass (the mock's faithful ones) and those it
cannot judge enough of (inconclusive) have no entry. tests/test_fault_matrix.py runs every fault through the run's
pipeline and holds each to its entry; the statement coverage (coverage.py) reads it to say which faults break which
statement.
"""

from __future__ import annotations

from dataclasses import dataclass

from cph_conformance import spec
from cph_conformance.run.checks import across, answer, cases, errors, listings, probes
from cph_conformance.run.checks.registry import Check


@dataclass(frozen=True)
class Caught:
    check: Check
    breaks: tuple[str, ...] = ()  # the statements its failure cites, when fewer than the check's; () for all of them
    signed: bool = False  # it shows only in a run that signs its requests (CPH_AK and CPH_SK)
    ours: bool = False  # what it breaks, Huawei's sources allow: an error of the check (exit 2), not drift

    def __post_init__(self) -> None:
        unknown = [s for s in self.breaks if s not in spec.statements()]
        if unknown:
            raise ValueError(f"a fault of {self.check.name} breaks statements the spec does not quote: {unknown}")

    @property
    def statements(self) -> tuple[str, ...]:
        """The statements it breaks: none when Huawei's sources allow what it does (ours)."""
        return () if self.ours else self.breaks or self.check.cites


def _error_codes(status: int) -> tuple[str, ...]:
    """The statements of the error codes the spec gives a status (x-error-codes)."""
    stated = spec.error_codes(status)
    assert stated is not None, f"the spec states no error code for {status}"
    return stated[1]


CAUGHT: dict[str, Caught] = {
    # The answer's shape: a schema node cites its own statements.
    "request-id-type": Caught(answer.response_schema_conformance, ("page.request_id",)),
    "is-public-string": Caught(answer.response_schema_conformance, ("page.is_public",)),
    "long-image-id": Caught(answer.response_schema_conformance, ("page.image_id",)),
    "later-pages-bad-schema": Caught(answer.response_schema_conformance, ("page.is_public",)),
    "phone-images-object": Caught(answer.response_schema_conformance, ("page.phone_images",)),
    "encrypt-as-text": Caught(answer.response_schema_conformance, ("page.is_support_encrypt",)),
    "long-name-bytes": Caught(answer.length_in_bytes, ("page.image_name",)),
    "undocumented-field": Caught(answer.no_undocumented_fields),
    "unknown-image-label": Caught(answer.known_image_label),
    # The answer as a whole.
    "wrong-content-type": Caught(answer.content_type_conformance),
    "throttled-as-html": Caught(answer.content_type_conformance),
    "huge-page": Caught(answer.within_the_largest_page),
    "server-error-over-100": Caught(answer.not_a_server_error),
    "undocumented-status": Caught(answer.status_code_conformance),
    "server-error": Caught(answer.not_a_server_error),
    "server-error-every-other-time": Caught(answer.not_a_server_error),
    # What a page holds: what each image type selects cites its own statements.
    "public-filter-leak": Caught(answer.image_type_filter, ("page.image_type", "page.is_public")),
    "private-receive-status": Caught(answer.image_type_filter, ("page.image_type", "sdk.receive_status")),
    "duplicate-image-ids": Caught(answer.unique_image_ids),
    "over-limit": Caught(answer.page_within_limit),
    # Across pages and queries (the walk).
    "marker-ignored": Caught(listings.pagination),
    "last-page-points-back": Caught(listings.pagination),
    "pages-overlap": Caught(listings.pagination),
    "pages-skip": Caught(listings.same_listing_at_any_limit),
    "usual-sizes-skip": Caught(listings.same_listing_at_any_limit),
    "private-usual-size-skip": Caught(listings.same_listing_at_any_limit),
    "all-ends-at-type-edge": Caught(listings.same_listing_at_any_limit),
    "small-pages-reordered": Caught(listings.same_listing_at_any_limit),
    "limit-capped-15": Caught(listings.full_pages),
    "default-limit-10": Caught(listings.omitted_is_default),
    "marker-without-limit-restarts": Caught(listings.omitted_is_default),
    "share-lists-private": Caught(listings.image_type_partition),
    "all-without-shared": Caught(listings.all_is_the_union),
    "all-interleaved": Caught(listings.all_is_the_union),
    "public-image-hidden": Caught(listings.selected_images_listed, ("page.image_type", "page.is_public")),
    # Across every answer.
    "echo-token": Caught(across.request_ids),
    "cached-by-content": Caught(across.request_ids),
    "fields-differ-by-type": Caught(across.image_identity),
    # What the project's own client reads: not JSON is drift; what only the spec's assumption rules out, an error.
    "nan-in-a-field": Caught(answer.client_reads, spec.cites(spec.response_node(200))),
    "image-without-os-name": Caught(answer.client_reads, ours=True),
    # Error answers: the statements of the codes of the status.
    "error-code-of-another-status": Caught(errors.documented_error_code, _error_codes(404)),
    "unauthorized-code-of-another-status": Caught(errors.documented_error_code, _error_codes(401)),
    "throttled-code-of-another-status": Caught(errors.documented_error_code, _error_codes(429)),
    # Authentication and authorization.
    "no-auth": Caught(cases.ignored_auth),
    "other-project-200": Caught(probes.authorization),
    "other-project-with-query-200": Caught(probes.authorization),
    "token-any-case": Caught(probes.authentication),
    "token-prefix": Caught(probes.authentication),
    "html-401": Caught(probes.authentication),
    "token-anywhere": Caught(probes.authentication),
    "signature-unchecked": Caught(probes.authentication, signed=True),
    # Invalid input: the parameter's statements with the status codes'.
    "invalid-image-type-200": Caught(cases.negative_data_rejection, ("docs.status_codes", "page.image_type")),
    "image-type-any-case": Caught(probes.exact_values),
}
