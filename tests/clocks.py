"""Moving the test clock: tests that walk the door (a visit today, scans, findings) need it open.

The session's clock starts at ``TEST_NOW`` (any hour, any day). Door tests move it to one instant,
fixed when the session starts: on a working day between 10:30 and 15:00 local (a whole visit still
fits, and the morning's fixtures lie in the past), today's if that is still to come, else the next
working day's 10:30. Modules of door tests compute their ``TODAY`` from it.
"""
from __future__ import annotations

import datetime as dt
import functools

import time_machine

from core import clock
from inspection.pure.calendar import is_working_time, next_working_morning


@functools.cache
def door_open_instant() -> dt.datetime:
    local = clock.local_now()
    if is_working_time(local) and local.time() < dt.time(15):
        return max(local, local.replace(hour=10, minute=30, second=0, microsecond=0))
    return next_working_morning(local) + dt.timedelta(minutes=30)


def door_open_day() -> dt.date:
    return door_open_instant().date()


def to_door_open() -> time_machine.travel:
    """A ticking travel to :func:`door_open_instant`: a context manager, or start it and stop it."""
    return time_machine.travel(door_open_instant(), tick=True)
