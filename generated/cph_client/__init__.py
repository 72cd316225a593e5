"""A client library for accessing Huawei Cloud Cloud Phone Host (CPH) API — phone images"""

from .client import AuthenticatedClient, Client

__version__ = "1.2.0"
__spec_sha256__ = "1a3e81eab61ef760c84f761de16194436bd1f42eb2b0468fc47e247d0ded971a"
"""SHA-256 of the spec this client was generated from: importlib.resources.files("cph_client") / "openapi.yaml"."""
__page_url__ = "https://support.huaweicloud.com/intl/en-us/api-cph/cph_api_0519.html"
"""Huawei's documentation page the spec is written from."""
__page_updated__ = "2025-10-28"
"""The date that page says it was updated on."""

__all__ = (
    "AuthenticatedClient",
    "Client",
)
