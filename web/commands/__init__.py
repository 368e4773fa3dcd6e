"""Commands of the ``inspection`` console script: thin click wrappers over domain functions, one module
per topic.

Each command commits once at the end; any error rolls everything back, prints a
clear message and exits non-zero.
"""
from __future__ import annotations

from flask import Flask

from . import catalogue, draws, log, notices, oversight, registry, risk, schedule, setup

COMMANDS = (
    setup.init_db_command,
    catalogue.load_catalogue_command,
    registry.import_firms_command,
    registry.import_officers_command,
    registry.export_firms_command,
    registry.export_officers_command,
    catalogue.export_catalogue_command,
    setup.demo_command,
    setup.serve_command,
    setup.worker_command,
    log.export_log_command,
    log.verify_log_command,
    draws.export_draw_command,
    draws.verify_draw_command,
    schedule.schedule_group,
    risk.risk_group,
    risk.import_hotline_command,
    catalogue.leniency_group,
    log.log_head_command,
    log.seal_log_command,
    oversight.audit_command,
    oversight.rebuild_facts_command,
    oversight.sweep_offsite_command,
    notices.send_notices_command,
    oversight.advance_notices_command,
)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
