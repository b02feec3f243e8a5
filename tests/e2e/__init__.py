"""End-to-end user stories: the real bot against the fake Bot API server (see harness.py)."""
