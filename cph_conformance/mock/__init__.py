"""A local CPH endpoint that behaves like the live service, built from openapi/cph.yaml by connexion."""

import warnings

# connexion imports starlette's test client at import time; its deprecation notice is not ours to act on.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
