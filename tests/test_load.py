"""The bounded load run (benchmarks/load.py) as a check: 200 concurrent clients against gunicorn with
several workers on PostgreSQL, no errors, every visit entered exactly once, no scan counted twice.
The figures it prints are the benchmark's; here only correctness under load is asserted."""
from __future__ import annotations

import pytest

from benchmarks import load
from tests.backends import PG_URL, pg_or_skip
from tests.clocks import to_door_open

pytestmark = [pytest.mark.postgres, pytest.mark.own_database]



@pytest.fixture(autouse=True)
def door_open():
    """These tests walk a drill day of visits: the clock goes to a working morning."""
    with to_door_open():
        yield

def test_two_hundred_clients_scan_and_read_without_errors_or_duplicates(capsys):
    pg_or_skip()
    code = load.main(["--clients", "200", "--workers", "3", "--threads", "8", "--firms", "300",
                      "--health-requests", "4000", "--record-views", "2", "--database-url", PG_URL,
                      "--schema", "test_load_run"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "errors: 0; visits not entered exactly once: 0; duplicate accepted scans: 0" in out, out
