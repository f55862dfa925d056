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
