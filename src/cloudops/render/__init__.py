"""Render listings and records as a table, JSON or YAML. Pure: returns text, never prints."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from typing import Any


def render(data: Any, fmt: str, *, columns: Sequence[str] | None = None, title: str | None = None) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"
    if fmt == "yaml":
        return to_yaml(data)
    if fmt == "table":
        if isinstance(data, Mapping):
            return table(
                [{"field": k, "value": _cell(v)} for k, v in data.items()], ["field", "value"], title
            )
        return table(data, columns, title)
    raise ValueError(f"unknown format {fmt!r}")


def loading_note(load_seconds: float) -> str:
    """`` (+0.08s loading clients)`` after a sweep's time, when the loading took any."""
    return f" (+{load_seconds:.2f}s loading clients)" if load_seconds >= 0.005 else ""


def to_yaml(data: Any) -> str:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    buf = io.StringIO()
    yaml.dump(json.loads(json.dumps(data, default=str)), buf)
    return buf.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return str(value)


def table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, title: str | None = None
) -> str:
    """A rich table rendered to text; plain when not on a terminal (no colour codes in pipes)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    cols = list(columns) if columns else (list(rows[0].keys()) if rows else [])
    tbl = Table(title=title, show_lines=False, header_style="bold", title_justify="left")
    for col in cols:
        tbl.add_column(col.replace("_", " "), overflow="fold")
    for row in rows:
        # Text, not markup: a cell like "[decisions](decisions.md)" must show as written.
        tbl.add_row(*(Text(_cell(row.get(c))) for c in cols))
    buf = io.StringIO()
    Console(file=buf, width=_width(), force_terminal=False, color_system=None).print(tbl)
    return buf.getvalue()


def _width() -> int:
    import shutil

    return max(80, shutil.get_terminal_size((120, 24)).columns)
