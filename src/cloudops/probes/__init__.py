"""Read-only adapters. Each is a read (a command or an API call) plus a pure parser into frozen observations.

Every source can be live or recorded (hotsos's habit): the same parser reads what a live command printed
and what was captured from it once, so recorded real outputs drive fast tests. A probe never decides.
"""


class NotChecked(Exception):
    """Raised by a probe that cannot run (a dependency failed): its subject becomes UNKNOWN, with why."""
