"""A client library for accessing Huawei Cloud Cloud Phone Host (CPH) API — phone images"""

from .client import AuthenticatedClient, Client

__version__ = "1.1.0"
__spec_sha256__ = "eff0d8e6aac9734245443e54ad1d3bdab96254bada9ee2bb855861cd935ca2a8"
"""SHA-256 of the spec this client was generated from: importlib.resources.files("cph_client") / "openapi.yaml"."""
__page_url__ = "https://support.huaweicloud.com/intl/en-us/api-cph/cph_api_0519.html"
"""Huawei's documentation page the spec is written from."""
__page_updated__ = "2025-10-28"
"""The date that page says it was updated on."""

__all__ = (
    "AuthenticatedClient",
    "Client",
)
