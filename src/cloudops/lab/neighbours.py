"""The kernel's neighbour-table limits, raised while a lab has many hosts and restored when they go.

The root namespace keeps one ARP entry per host it talks to on every plane. Above ``gc_thresh2`` (512 by
default) the kernel collects entries that are only seconds old, and at ``gc_thresh3`` (1,024) it refuses
new ones ("neighbour table overflow"): at a thousand hosts a sweep loses hosts to ARP, not to SSH (seen:
921 of 1,000 reachable, 88 s; with the limits raised, 1,000 of 1,000 in 12 s). So a lab whose hosts would
pass a quarter below ``gc_thresh2`` raises the three limits (never lowers them), records what they were
in ``<labdir>/hosts/neighbour-limits.json``, and puts them back when its hosts go down.

These are machine-wide settings of the root namespace: the note printed at ``up`` says so. Two big labs
at once restore in the order they went down; the first down puts back the values it found.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from cloudops.errors import Unavailable

NEIGH = Path("/proc/sys/net/ipv4/neigh/default")
KEYS = ("gc_thresh1", "gc_thresh2", "gc_thresh3")


def record_file(hosts_dir: Path) -> Path:
    return hosts_dir / "neighbour-limits.json"


def wanted(entries: int) -> dict[str, int]:
    """Pure: limits under which ``entries`` neighbours stay without being collected (with room)."""
    base = entries + 256
    return {"gc_thresh1": base, "gc_thresh2": 2 * base, "gc_thresh3": 4 * base}


def current(root: Path = NEIGH) -> dict[str, int]:
    return {k: int((root / k).read_text().split()[0]) for k in KEYS}


def raise_for(hosts_dir: Path, entries: int, root: Path = NEIGH) -> str | None:
    """Raise the limits for ``entries`` neighbours when the current ones are too low; a note when done."""
    now = current(root)
    if entries <= now["gc_thresh2"] * 3 // 4:
        return None
    want = wanted(entries)
    new = {k: max(now[k], want[k]) for k in KEYS}
    if new == now:
        return None
    record = record_file(hosts_dir)
    created = not record.exists()
    if created:  # a second up keeps the values found before the first
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(now) + "\n")
    try:
        for k in KEYS[::-1]:  # upward: thresh3 first, so that thresh1 <= thresh2 <= thresh3 throughout
            (root / k).write_text(f"{new[k]}\n")
    except OSError as exc:  # a read-only /proc/sys (a container): the hosts would lose ARP entries
        if created:  # put back what was raised before the failure (every key tried), and forget it
            with contextlib.suppress(Unavailable):
                restore(hosts_dir, root)
            record.unlink(missing_ok=True)
        raise Unavailable(
            f"{entries} neighbours need net.ipv4.neigh.default.gc_thresh1/2/3 of at least "
            f"{'/'.join(str(want[k]) for k in KEYS)} (now {'/'.join(str(now[k]) for k in KEYS)}), and they "
            f"cannot be raised here ({exc.strerror or exc}): fewer hosts, or raise them first"
        ) from None
    was = "/".join(str(now[k]) for k in KEYS)
    return (
        f"raised the kernel's neighbour-table limits (net.ipv4.neigh.default.gc_thresh1/2/3) from {was} to "
        f"{'/'.join(str(new[k]) for k in KEYS)} for {entries} neighbours; put back when the hosts go down"
    )


def restore(hosts_dir: Path, root: Path = NEIGH) -> str | None:
    """Put back the limits this lab found; a note when done."""
    record = record_file(hosts_dir)
    if not record.exists():
        return None
    was = json.loads(record.read_text())
    failed: list[str] = []
    for k in KEYS:  # downward: thresh1 first; every key is tried, so one refusal leaves no other raised
        try:
            (root / k).write_text(f"{int(was[k])}\n")
        except OSError as exc:
            failed.append(f"{k} ({exc.strerror or exc})")
    if failed:  # the record stays, so that a later down can still put back what was found
        raise Unavailable(
            f"could not put back the kernel's neighbour-table limits {'/'.join(str(was[k]) for k in KEYS)}: "
            f"{', '.join(failed)}; they stay recorded in {record}"
        )
    record.unlink()
    return f"put back the kernel's neighbour-table limits: {'/'.join(str(was[k]) for k in KEYS)}"
