"""A client library for accessing Huawei Cloud Cloud Phone Host (CPH) API — phone images"""

from .client import AuthenticatedClient, Client

__version__ = "1.1.0"
__spec_sha256__ = "03388b9bea2b4d009f1dafe932020e0b722ff354267e9d13161c01a4671e4c5e"
"""SHA-256 of the spec this client was generated from: importlib.resources.files("cph_client") / "openapi.yaml"."""
__page_url__ = "https://support.huaweicloud.com/intl/en-us/api-cph/cph_api_0519.html"
"""Huawei's documentation page the spec is written from."""
__page_updated__ = "2025-10-28"
"""The date that page says it was updated on."""

__all__ = (
    "AuthenticatedClient",
    "Client",
)
