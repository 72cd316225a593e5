"""A client library for accessing Huawei Cloud Cloud Phone Host (CPH) API — phone images"""

from .client import AuthenticatedClient, Client

__version__ = "1.1.1"
__spec_sha256__ = "8ffbb766394ab2049cf7e410e169f99740fd8e866f18403c2527c58053eea43c"
"""SHA-256 of the spec this client was generated from: importlib.resources.files("cph_client") / "openapi.yaml"."""
__page_url__ = "https://support.huaweicloud.com/intl/en-us/api-cph/cph_api_0519.html"
"""Huawei's documentation page the spec is written from."""
__page_updated__ = "2025-10-28"
"""The date that page says it was updated on."""

__all__ = (
    "AuthenticatedClient",
    "Client",
)
