"""python -m cph_conformance.run: see cph_conformance/run/runner.py."""

import sys

from cph_conformance.run.runner import main

sys.exit(main())
