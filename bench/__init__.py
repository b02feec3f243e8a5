"""Benchmarks: each runnable with one command (`make bench` runs them all), figures in
docs/BENCHMARKS.md. Never run by the test suite or CI: nothing under tests/ times anything.

The benchmarks drive the bot through the tests' fake Bot API server (tests/fakes) and reuse the
tests' helpers (tests/pg.py, tests/factories.py): tests/ goes on the import path here, as pytest
puts it there for the tests.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))
