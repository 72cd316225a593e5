"""`make bench`: the client, the mock and the conformance run, measured side by side with the alternatives.

Benchmarks, not tests: nothing here asserts a time. Results go to BENCHMARKS.md.
"""
