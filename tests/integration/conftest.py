"""Fixtures every integration test can use."""

from __future__ import annotations

import pytest


@pytest.fixture
def chaos():
    """Turns fault injection on in this worker's emulator for one test: `with chaos(0.2, seed=1) as c:`,
    or `c = chaos(0.2)` for the rest of the test; `c.injected` counts the faults per (service, operation, kind)."""
    from guestlist_local import chaos as module

    previous = module.current()
    yield _Switch
    module.restore(previous)


class _Switch:
    """chaos(rate, seed, kinds=..., services=...): on at once; as a with-block, off again at its end."""

    def __init__(self, rate: float, seed: int | None = 0, **options):
        from guestlist_local import chaos as module

        self._module = module
        self._previous = module.current()
        self._chaos = module.configure(rate, seed, **options)

    def __getattr__(self, name):
        return getattr(self._chaos, name)

    def __enter__(self):
        return self._chaos

    def __exit__(self, *exc):
        self._module.restore(self._previous)
        return False


def pytest_terminal_summary(terminalreporter):
    """The chaos tier's counts, per test: the functions' calls, the faults injected, what they cost."""
    rows = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, seen in getattr(report, "user_properties", ()):
                if name == "chaos" and getattr(report, "when", None) == "teardown":
                    rows.append((report.nodeid.split("::")[-1], seen))
    if not rows:
        return
    terminalreporter.section("chaos")
    for test, seen in sorted(rows):
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(seen["by_kind"].items()))
        retried = ", ".join(f"{k} {n}" for k, n in sorted(seen["retried"].items()))
        terminalreporter.write_line(
            f"{test}: rate {seen['rate']}, {seen['calls']} calls, {seen['injected']} faults ({kinds}); "
            f"retried {sum(seen['retried'].values())} ({retried}), gave up {seen['busy']}, function errors "
            f"{seen['function_errors']}; clients asked again {seen['client_retries']}")
