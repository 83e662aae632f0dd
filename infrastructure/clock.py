"""What day it is, asked in one place.

Every date rule (deadlines, "not in the future", the 20-day decision clock) reads the day
from `today()`, so a run that crosses midnight sees one day throughout once it is pinned
(the test suite pins it at start-up; a replay of past data can pin the day it replays).
"""
import datetime as dt

_pinned = None


def today():
    return _pinned or dt.date.today()


def pin(day):
    """Make `today()` answer `day` (None: the calendar again)."""
    global _pinned
    _pinned = day
