"""The conformance run: its settings, target and credential, the gateway every request goes through, the preflight,
schemathesis, the walk and the probes; one registry of checks that judges every answer; the verdict and its reports."""
