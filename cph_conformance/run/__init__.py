"""The conformance run: target and credentials, preflight, schemathesis with the page's checks, the walk over pages,
masking of secrets, and the report."""
