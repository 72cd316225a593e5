"""python -m cph_conformance.run.checks: the rules table, as the README shows it."""

from cph_conformance.run.checks import table

print(table(), end="")
