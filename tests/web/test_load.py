"""The load run (benchmarks/load.py) as a check: gunicorn with several workers on PostgreSQL, rate limits
on and every client from its own address, one request at a time, then a closed loop to saturation, then
an open loop at half of it: no errors, every visit entered exactly once, no scan counted twice.
The figures it prints are the benchmark's; here only correctness under load is asserted."""
from __future__ import annotations

import pytest

from benchmarks import load
from tests.backends import PG_URL, pg_or_skip

# Walks a drill day of visits at the door-open clock.
pytestmark = [pytest.mark.postgres, pytest.mark.own_database, pytest.mark.usefixtures("door_open")]


def test_clients_scan_and_read_open_loop_without_errors_or_duplicates(capsys):
    pg_or_skip()
    code = load.main(["--workers", "3", "--threads", "8", "--firms", "300", "--record-firms", "60",
                      "--concurrency", "16", "--health-requests", "800", "--database-url", PG_URL,
                      "--schema", "test_load_run"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "errors: 0; visits not entered exactly once: 0; duplicate accepted scans: 0" in out, out
    # Every request queued its records for the log; the workers' sealers chained them all, none lost.
    assert "event log after the run: chain whole, 0 records still queued" in out, out
