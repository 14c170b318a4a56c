"""Synced, empty databases kept next to the services venv, so a new lab restores them in seconds instead
of running every service's migrations (the largest part of a bring-up on 2 cores).

A snapshot is taken right after a service's database sync, before its service starts or anything
lab-specific is written; it holds schema and the migrations' own rows only. Nova's cell mappings are the
one exception (they hold database and AMQP URLs with this lab's ports and passwords): they are left out
and written again for each lab. The snapshot's directory is keyed like the venv (same packages, same
migrations) plus ``VERSION``, raised whenever what is snapshotted changes. An optimisation only: without
a snapshot, the lab syncs.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from cloudops.lab.context import Lab
from cloudops.lab.procs import run_bounded

VERSION = "1"
CELL0_UUID = "00000000-0000-0000-0000-000000000000"


def snapshot_dir(lab: Lab) -> Path:
    return lab.layout.services_venv / f"lab-db-snapshot-v{VERSION}"


def path(lab: Lab, group: str) -> Path:
    return snapshot_dir(lab) / f"{group}.sql"


def _client(lab: Lab, tool: str) -> list[str]:
    return [f"/usr/bin/{tool}", "--no-defaults", f"--socket={lab.layout.mysql_socket}", "-uroot"]


def restore(lab: Lab, group: str) -> bool:
    """Load the snapshot of ``group`` into the lab's MariaDB; False when there is none."""
    snap = path(lab, group)
    if not snap.is_file():
        return False
    lab.run(
        "mariadb", [*_client(lab, "mariadb"), "-e", f"source {snap}"], timeout=120, log_name="mariadb-restore"
    )
    return True


def save(lab: Lab, group: str, databases: tuple[str, ...], ignore_data: tuple[str, ...] = ()) -> None:
    """Dump ``databases`` (schema and rows; only the schema of the ``db.table``s in ``ignore_data``)."""
    snap = path(lab, group)
    if snap.is_file():
        return
    snap.parent.mkdir(parents=True, exist_ok=True)
    dump = [*_client(lab, "mariadb-dump"), "--skip-comments", "--single-transaction"]
    res = run_bounded(
        [*dump, *(f"--ignore-table={t}" for t in ignore_data), "--databases", *databases], timeout=120
    )
    if res.returncode != 0:
        return  # an optimisation: the next lab syncs instead
    text = res.stdout
    for table in ignore_data:
        db, name = table.split(".", 1)
        schema = run_bounded([*dump, "--no-data", db, name], timeout=60)
        if schema.returncode != 0:
            return
        text += f"\nUSE `{db}`;\n{schema.stdout}"
    tmp = snap.with_name(f".{snap.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(snap)


def write_cell_mappings(lab: Lab, cell0_url: str, cell1_url: str, transport_url: str) -> None:
    """Nova's cell0 and cell1 mappings for this lab (the SQL goes through stdin: it holds passwords)."""

    def q(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    sql = (
        "INSERT INTO nova_api.cell_mappings (created_at, uuid, name, transport_url, database_connection, "
        f"disabled) VALUES (NOW(), {q(CELL0_UUID)}, 'cell0', 'none:///', {q(cell0_url)}, 0), "
        f"(NOW(), {q(str(uuid.uuid4()))}, 'cell1', {q(transport_url)}, {q(cell1_url)}, 0);"
    )
    lab.run("nova", _client(lab, "mariadb"), input_text=sql, timeout=60, log_name="nova-manage")
