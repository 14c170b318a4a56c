"""The names a smoke plan is written under and read back by: apart from the plan writer (``health.smoke``,
which needs the gate's pydantic models) so that ``assert`` reads the journal without importing the gate."""

from __future__ import annotations

TITLE = "tenant smoke test"  # a smoke plan's title starts with this (the journal's approval record)
REVERT_TITLE = "revert of tenant smoke test"

# change id → (check id, component): the component is the API whose service the change exercises
CHECKS = {
    "smoke-network": ("smoke.network", "network"),
    "smoke-subnet": ("smoke.subnet", "network"),
    "smoke-volume": ("smoke.volume", "volume"),
    "smoke-server": ("smoke.server", "compute"),
}
