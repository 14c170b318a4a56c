"""The security ledger: ``docs/security-ledger.md``, one Markdown table row per exposure or risk.

| id | date | exposed | where | severity | status | remedy | evidence |

``id`` is SL-NNN (never reused); ``severity`` low, medium, high or critical; ``status`` open, mitigated
or closed; a mitigated or closed row names its remedy; every row links its evidence. A row never holds
the secret itself — only what kind of secret, where it was, and what was done.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cloudops.errors import InputError

LEDGER_FILE = "docs/security-ledger.md"
COLUMNS = ("id", "date", "exposed", "where", "severity", "status", "remedy", "evidence")
SEVERITIES = ("low", "medium", "high", "critical")
STATUSES = ("open", "mitigated", "closed")
ID = re.compile(r"^SL-(\d{3,})$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
HEADER_TEXT = (
    "# Security ledger\n\n"
    "Every exposure or security risk gets a row — never only a comment in a script. No secret is ever\n"
    "written here: name the kind of secret and where it was, not its value.\n\n"
)


@dataclass
class Row:
    line: int
    cells: list[str]

    def get(self, column: str) -> str:
        i = COLUMNS.index(column)
        return self.cells[i] if i < len(self.cells) else ""

    @property
    def id(self) -> str:
        return self.get("id")

    def as_dict(self) -> dict[str, object]:
        return {c: self.get(c) for c in COLUMNS}


def split_row(line: str) -> list[str]:
    """Cells of a Markdown table row; ``\\|`` is a literal pipe inside a cell."""
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def parse(text: str) -> tuple[list[Row], int | None]:
    """The data rows and the line of the table header (None when there is no table)."""
    rows: list[Row] = []
    header_line = None
    for i, ln in enumerate(text.splitlines(), start=1):
        if not ln.lstrip().startswith("|"):
            continue
        cells = split_row(ln)
        if header_line is None and [c.lower() for c in cells][:1] == ["id"]:
            header_line = i
            continue
        if all(re.fullmatch(r":?-{3,}:?", c) for c in cells if c):
            continue
        if header_line is not None:
            rows.append(Row(i, cells))
    return rows, header_line


def problems(row: Row) -> list[str]:
    """What is wrong with one row (empty when it is well-formed)."""
    out = []
    if len(row.cells) != len(COLUMNS):
        return [f"a row has {len(COLUMNS)} cells ({', '.join(COLUMNS)}), this one has {len(row.cells)}"]
    if not ID.match(row.id):
        out.append(f"id {row.id!r} is not SL-NNN")
    if not DATE.match(row.get("date")):
        out.append(f"date {row.get('date')!r} is not YYYY-MM-DD")
    for col in ("exposed", "where", "evidence"):
        if not row.get(col):
            out.append(f"{col} is empty")
    if row.get("severity") not in SEVERITIES:
        out.append(f"severity {row.get('severity')!r} is not one of {', '.join(SEVERITIES)}")
    if row.get("status") not in STATUSES:
        out.append(f"status {row.get('status')!r} is not one of {', '.join(STATUSES)}")
    elif row.get("status") != "open" and not row.get("remedy"):
        out.append(f"a {row.get('status')} row names its remedy")
    return out


def _cell(value: str) -> str:
    return " ".join(value.split()).replace("|", "\\|")


def render_row(cells: dict[str, str]) -> str:
    return "| " + " | ".join(_cell(cells.get(c, "")) for c in COLUMNS) + " |"


def table_header() -> str:
    return "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"


def next_id(rows: list[Row]) -> str:
    nums = [int(m.group(1)) for m in (ID.match(r.id) for r in rows) if m]
    return f"SL-{(max(nums) + 1 if nums else 1):03d}"


def read(root: Path) -> str:
    from cloudops.repo import textfile

    return textfile.read(root / LEDGER_FILE, display=LEDGER_FILE, missing="")


def add(
    root: Path,
    *,
    exposed: str,
    where: str,
    severity: str,
    evidence: str,
    status: str = "open",
    remedy: str = "",
    today: date | None = None,
) -> str:
    """Append a row (atomically); returns its id. A value that looks like a secret is refused."""
    from cloudops.governance.atomic import write_text
    from cloudops.redact import refuse_secret

    for name, value in (
        ("--exposed", exposed),
        ("--where", where),
        ("--evidence", evidence),
        ("--remedy", remedy),
    ):
        refuse_secret(value, name)

    text = read(root)
    rows, header = parse(text)
    cells = {
        "id": next_id(rows),
        "date": (today or date.today()).isoformat(),
        "exposed": exposed,
        "where": where,
        "severity": severity,
        "status": status,
        "remedy": remedy,
        "evidence": evidence,
    }
    bad = problems(Row(0, [" ".join(cells[c].split()) for c in COLUMNS]))
    if bad:
        raise InputError("; ".join(bad), field="ledger row")
    if header is None:
        text = (text or HEADER_TEXT).rstrip("\n") + "\n\n" + table_header()
    elif not text.endswith("\n"):
        text += "\n"
    write_text(root / LEDGER_FILE, text + render_row(cells) + "\n")
    return cells["id"]


def close(root: Path, ident: str, remedy: str, *, status: str = "closed") -> Row:
    """Set a row's status (closed or mitigated) and remedy, in place (atomically)."""
    from cloudops.governance.atomic import write_text
    from cloudops.redact import refuse_secret

    if not remedy.strip():
        raise InputError("closing a ledger row needs its remedy", field="--remedy")
    refuse_secret(remedy, "--remedy")
    text = read(root)
    rows, _ = parse(text)
    row = next((r for r in rows if r.id == ident.upper()), None)
    if row is None:
        raise InputError(f"no row {ident} in the ledger", where=LEDGER_FILE)
    if len(row.cells) != len(COLUMNS):
        raise InputError(
            "the row is malformed; fix it first (cloudops lint)", where=f"{LEDGER_FILE}:{row.line}"
        )
    cells = dict(zip(COLUMNS, row.cells, strict=True))
    cells["status"] = status
    cells["remedy"] = remedy
    lines = text.splitlines(keepends=True)
    lines[row.line - 1] = render_row(cells) + "\n"
    write_text(root / LEDGER_FILE, "".join(lines))
    return Row(row.line, [cells[c] for c in COLUMNS])
