"""Keep Huawei's SDK out of the user's home.

huaweicloudsdkcore 3.1.219 writes ~/.huaweicloud/application_id (a random ID it puts in its User-Agent) when
huaweicloudsdkcore.http.user_agent is first imported, and huaweicloudsdkcore.auth.credentials imports it: every
process that signs an AK/SK request with the SDK (Huawei's client, the tests) would write it.
The path comes from HOME alone (no setting of the SDK names it), so that first import runs with HOME pointed at a
throwaway folder; the module then keeps its User-Agent for the life of the process.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile

MODULE = "huaweicloudsdkcore.http.user_agent"


def import_elsewhere() -> None:
    """Import the SDK's user-agent module with HOME in a temporary folder, unless it is imported already."""
    if MODULE in sys.modules:
        return
    saved = os.environ.get("HOME")
    with tempfile.TemporaryDirectory(prefix="cph-sdk-home-") as home:
        os.environ["HOME"] = home
        try:
            importlib.import_module(MODULE)
        finally:
            if saved is None:
                os.environ.pop("HOME", None)
            else:
                os.environ["HOME"] = saved
