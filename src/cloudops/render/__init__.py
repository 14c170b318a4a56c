"""Render listings and records as a table, JSON or YAML. Pure: returns text, never prints."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from typing import Any


def render(
    data: Any,
    fmt: str,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    select: Sequence[str] = (),
) -> str:
    """``select``: the columns asked for with ``-c`` (python-openstackclient's semantics: in that order;
    for one record, its fields)."""
    if select:
        data, columns = pick(data, select, columns)
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"
    if fmt == "yaml":
        return to_yaml(data)
    if fmt == "value":
        return value(data, columns)
    if fmt == "csv":
        return csv_text(data, columns)
    if fmt == "table":
        if isinstance(data, Mapping):
            return table(
                [{"field": k, "value": _cell(v)} for k, v in data.items()], ["field", "value"], title
            )
        return table(data, columns, title)
    raise ValueError(f"unknown format {fmt!r}")


def _key(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def pick(data: Any, select: Sequence[str], columns: Sequence[str] | None = None) -> tuple[Any, list[str]]:
    """Only the columns (or a record's fields) named, in the order given; a name matches whatever its
    case or its spaces, underscores and dashes. An unknown name is an error naming the known ones."""
    from cloudops.errors import InputError

    if isinstance(data, Mapping):
        known = list(data.keys())
    else:
        known = list(columns) if columns else (list(data[0].keys()) if data else [])
    by_key = {_key(k): k for k in known}
    chosen = []
    for name in select:
        if _key(name) not in by_key:
            raise InputError(f"no column {name!r} (columns: {', '.join(known) or 'none'})", field="-c")
        chosen.append(by_key[_key(name)])
    if isinstance(data, Mapping):
        return {k: data[k] for k in chosen}, chosen
    return [{k: row.get(k) for k in chosen} for row in data], chosen


def value(data: Any, columns: Sequence[str] | None = None) -> str:
    """python-openstackclient's ``-f value``: one line per row, its cells separated by spaces, no header;
    for one record, one value per line."""
    if isinstance(data, Mapping):
        return "".join(f"{_cell(v)}\n" for v in data.values())
    cols = list(columns) if columns else (list(data[0].keys()) if data else [])
    return "".join(" ".join(_cell(row.get(c)) for c in cols) + "\n" for row in data)


def csv_text(data: Any, columns: Sequence[str] | None = None) -> str:
    """``-f csv``: a header and every cell quoted (as python-openstackclient writes it); one record is
    Field,Value rows."""
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
    if isinstance(data, Mapping):
        writer.writerow(["Field", "Value"])
        for k, v in data.items():
            writer.writerow([k, _cell(v)])
        return buf.getvalue()
    cols = list(columns) if columns else (list(data[0].keys()) if data else [])
    writer.writerow(cols)
    for row in data:
        writer.writerow([_cell(row.get(c)) for c in cols])
    return buf.getvalue()


def beside_subject(subject: str, message: str) -> str:
    """A finding's message as shown next to its subject: a service's words often start with the subject
    itself ("glance/0 active: ..."), which would read "glance/0: glance/0 active: ..." — so a leading
    subject followed by ": " or a space is left out. The message in JSON, YAML, value and csv is whole."""
    for sep in (": ", " "):
        if subject and message.startswith(subject + sep) and message[len(subject) + len(sep) :].strip():
            return message[len(subject) + len(sep) :]
    return message


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


# A verdict's colour in a terminal: what fails is red, what warns yellow, what could not be judged magenta.
VERDICT_STYLES: Mapping[str, str] = {"FAIL": "bold red", "WARN": "yellow", "UNKNOWN": "bold magenta"}


def wants_colour(isatty: bool, env: Mapping[str, str]) -> bool:
    """Colour only on a terminal. ``NO_COLOR`` (any value, no-color.org) turns it off everywhere;
    ``FORCE_COLOR`` or ``CLICOLOR_FORCE`` (any value but empty or 0) turns it on in a pipe too."""
    if env.get("NO_COLOR"):
        return False
    if any(env.get(name, "") not in ("", "0") for name in ("FORCE_COLOR", "CLICOLOR_FORCE")):
        return True
    return isatty


def paint(text: str, style: str | None) -> str:
    """``text`` in a style (rich's names) as ANSI codes; as it is without a style."""
    if not style:
        return text
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, color_system="standard", width=10_000)
    console.print(text, style=style, markup=False, highlight=False, end="")
    return buf.getvalue()


def table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    title: str | None = None,
    *,
    styles: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """A rich table rendered to text, plain unless ``styles`` is given: ``{column: {cell text: style}}``
    colours those cells (the caller decides whether the terminal wants colour: see ``wants_colour``)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    cols = list(columns) if columns else (list(rows[0].keys()) if rows else [])
    tbl = Table(title=title, show_lines=False, header_style="bold", title_justify="left")
    for col in cols:
        tbl.add_column(col.replace("_", " "), overflow="fold")
    styles = styles or {}
    for row in rows:
        # Text, not markup: a cell like "[decisions](decisions.md)" must show as written.
        cells = [_cell(row.get(c)) for c in cols]
        tbl.add_row(*(Text(t, style=styles.get(c, {}).get(t, "")) for c, t in zip(cols, cells, strict=True)))
    buf = io.StringIO()
    if styles:
        Console(file=buf, width=_width(), force_terminal=True, color_system="standard").print(tbl)
    else:
        Console(file=buf, width=_width(), force_terminal=False, color_system=None).print(tbl)
    return buf.getvalue()


FIT_WIDTH = False  # `--fit-width`: the terminal's width even below 80 columns (set by the CLI)


def _width() -> int:
    import shutil

    columns = shutil.get_terminal_size((120, 24)).columns
    return columns if FIT_WIDTH else max(80, columns)
