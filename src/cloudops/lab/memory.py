"""Resident memory of a lab: RSS and PSS per recorded process tree, plus the orphans (privsep daemons,
dnsmasq, epmd), read from /proc."""

from __future__ import annotations

from pathlib import Path

from cloudops.lab.procs import PROC, Supervisor, children_map, descendants, lab_members, pid_alive


def rss_pss_kib(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss, pss


def usage(lab_dir: Path, sup: Supervisor) -> list[dict[str, object]]:
    """One row per recorded process (with its descendants) and one for the orphans; sizes in MiB."""
    kids = children_map()
    counted: set[int] = set()
    rows: list[dict[str, object]] = []
    for rec in sup.records():
        if not pid_alive(rec.pid, rec.start_ticks):
            continue
        tree = [rec.pid, *descendants(rec.pid, kids)]
        counted.update(tree)
        sizes = [rss_pss_kib(p) for p in tree]
        rows.append(
            {
                "process": rec.name,
                "procs": len(tree),
                "rss_mib": round(sum(r for r, _ in sizes) / 1024, 1),
                "pss_mib": round(sum(p for _, p in sizes) / 1024, 1),
            }
        )
    orphans = [p for p in lab_members(lab_dir) if p not in counted]
    sizes = [rss_pss_kib(p) for p in orphans]
    rows.append(
        {
            "process": "(orphans: privsep daemons, dnsmasq, epmd)",
            "procs": len(orphans),
            "rss_mib": round(sum(r for r, _ in sizes) / 1024, 1),
            "pss_mib": round(sum(p for _, p in sizes) / 1024, 1),
        }
    )
    return rows
