"""A client library for accessing Huawei Cloud Cloud Phone Host (CPH) API — phone images"""

from .client import AuthenticatedClient, Client

__all__ = (
    "AuthenticatedClient",
    "Client",
)
