"""CPH_REGION's look-ups: the endpoint of a region from the spec's servers, IAM's from the same region."""

from __future__ import annotations

import pytest

from cph_conformance import spec


def test_the_regions_are_the_servers_enum_with_its_default_among_them() -> None:
    variable = spec.load()["servers"][0]["variables"]["region"]
    assert spec.regions() == variable["enum"]
    assert len(spec.regions()) == len(set(spec.regions())) > 1
    assert spec.default_region() in spec.regions()


@pytest.mark.parametrize("region", spec.regions())
def test_every_region_has_its_endpoint_and_iam(region: str) -> None:
    assert spec.base_url(region) == f"https://cph.{region}.myhuaweicloud.com"
    assert spec.iam_url(region) == f"https://iam.{region}.myhuaweicloud.com"


@pytest.mark.parametrize("region", ["eu-west-0", "CN-NORTH-4", " cn-north-4", "", "{region}"])
def test_an_unknown_region_is_an_error_that_lists_the_spec_s(region: str) -> None:
    for lookup in (spec.base_url, spec.iam_url, spec.check_region):
        with pytest.raises(spec.UnknownRegion) as caught:
            lookup(region)
        message = str(caught.value)
        assert repr(region) in message
        assert "openapi/cph.yaml" in message
        assert all(known in message for known in spec.regions())


def test_a_known_region_passes_the_check() -> None:
    assert spec.check_region(spec.default_region()) == spec.default_region()
