"""A client library for accessing Huawei Cloud Cloud Phone Host (CPH) API — phone images"""

from .client import AuthenticatedClient, Client

__version__ = "1.1.1"
__spec_sha256__ = "d615b2d23e14f31f01b8e16b69df60c7bb2f6e210439a1a58bc2ad712e9c65fa"
"""SHA-256 of the spec this client was generated from: importlib.resources.files("cph_client") / "openapi.yaml"."""
__page_url__ = "https://support.huaweicloud.com/intl/en-us/api-cph/cph_api_0519.html"
"""Huawei's documentation page the spec is written from."""
__page_updated__ = "2025-10-28"
"""The date that page says it was updated on."""

__all__ = (
    "AuthenticatedClient",
    "Client",
)
