"""Huawei's official SDK (huaweicloudsdkcph) pointed at a CPH endpoint such as the mock.

It signs requests with AK/SK, which the mock checks (cph_conformance/mock/aksk.py); an explicit project_id
skips its IAM look-up. The SDK is imported only in client(), after sdk_home has kept its first import out of
the user's home.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cph_conformance import sdk_home


def client(base_url: str, project_id: str, ak: str, sk: str) -> Any:
    sdk_home.import_elsewhere()
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkcph.v1 import CphClient

    return (
        CphClient.new_builder()
        .with_credentials(BasicCredentials(ak, sk, project_id))
        .with_endpoints([base_url])
        .with_http_config(HttpConfig.get_default_config())
        .build()
    )


def pages(sdk: Any, image_type: str | None, limit: int) -> Iterator[Any]:
    """Every page (the SDK's ListCloudPhoneImagesResponse), first to last."""
    from huaweicloudsdkcph.v1 import ListCloudPhoneImagesRequest

    marker = None
    while True:
        page = sdk.list_cloud_phone_images(
            ListCloudPhoneImagesRequest(image_type=image_type, marker=marker, limit=limit)
        )
        yield page
        marker = page.page_info.next_marker if page.page_info else None
        if not marker:
            return


def list_images(sdk: Any, image_type: str | None, limit: int) -> list[dict[str, Any]]:
    """Every image of a type, each as a dict without the SDK's None fields."""
    return [
        {k: v for k, v in image.to_dict().items() if v is not None}
        for page in pages(sdk, image_type, limit)
        for image in page.phone_images or []
    ]
