"""Helpers the test tiers share (no tests here): event shapes, API calls, import and check-in steps,
free ports. Fixtures live in the conftest.py files; `tests/` is on sys.path (pytest's pythonpath).
"""
