"""Shared test setup: a persistent compile cache so compiled code is reused across test runs."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("GRAPHFLOW_CACHE_DIR",
                      os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".gfcache"))
os.environ.setdefault("GRAPHFLOW_VERIFY", "1")


@pytest.fixture(autouse=True)
def _fresh_graph():
    """Each test builds in its own default graph."""
    import graphflow as gf
    gf.reset_default_graph()
    yield
    gf.reset_default_graph()
