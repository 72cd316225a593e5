"""Hand-written tooling of cph-conformance: code generation, the wheel, the mock and the conformance run."""
