"""The collector settings of a server process (portal/heap.py): applied once when a real app is
built, never in tests (the suite builds thousands of apps in one process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from portal import create_app, heap

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import gc, json
from portal import create_app, heap
before = gc.get_freeze_count()
create_app()
first = (gc.get_freeze_count(), gc.get_threshold()[0])
create_app()  # a second app in the same process: nothing more is frozen
print(json.dumps({"before": before, "frozen": first[0], "young": first[1],
                  "again": heap.settle(), "frozen_after": gc.get_freeze_count() > 0}))
"""


def test_a_server_process_freezes_its_heap_once(tmp_path):
    env = {
        **os.environ,
        "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "PORTAL_SECRET_KEY": "heap-test",
        "PYTHONPATH": str(ROOT),
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=120, check=True,
    ).stdout  # fmt: skip
    result = json.loads(out.strip().splitlines()[-1])
    assert result["before"] == 0
    assert result["frozen"] > 10_000  # modules, the app, its routes, mappers
    assert result["young"] == heap.YOUNG_THRESHOLD
    assert result["again"] is False and result["frozen_after"]


def test_only_an_app_outside_tests_settles_the_heap(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(heap, "settle", lambda: calls.append(1) or True)
    base = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k",
            "PAGE_CACHE_GENERATION_PATH": str(tmp_path / "generation")}  # fmt: skip
    create_app({**base, "TESTING": True})
    assert calls == []
    create_app(base)
    assert calls == [1]
