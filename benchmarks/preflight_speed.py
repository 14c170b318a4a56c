"""Preflight and `netbox diff` speed (issue #17).

1. The offline gates on examples/roosevelt (budget ≤ 1 s): `cloudops --repo examples/roosevelt preflight`
   with no NetBox, SSH or Juju configured, so the live gates answer UNKNOWN at once and the time is the
   offline gates' (a new process each run, as an operator runs it; median).
2. `netbox diff` against a roosevelt-sized NetBox (budget ≤ 3 s, a bounded number of API calls): a NetBox of
   its own (PyPI 4.x, private PostgreSQL and Redis, in a temporary lab dir on --port) loaded with roosevelt's
   registry (126 hosts, 3 DCs); the read and diff timed in-process (median), every HTTP request counted.
   Needs root and NetBox's Python (see docs/lab.md); skipped with --no-netbox.
3. With --lab: the whole preflight on the running lab (`cloudops lab up --hosts 4 --with netbox`, its
   settings from `cloudops lab env`) against its slowest probe run alone (budget ≤ 1.5×): each host's SSH
   probe (with its DNS and NTP asks) and the NetBox read and diff, each timed on its own; then the gates
   all together, in-process (median), and as an operator runs it (a new process). The whole machine's CPU
   (every process: this one, the hosts' sshd and what the probe script runs, NetBox, PostgreSQL) is counted
   for each: work that needs more CPU than the cores give in 1.5× the slowest probe cannot finish within
   that budget however it is scheduled, and the report says so with the numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ROOSEVELT = ROOT / "examples" / "roosevelt"


def machine_busy() -> float:
    """The whole machine's busy CPU seconds so far (every process, and the kernel's interrupts)."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / os.sysconf("SC_CLK_TCK")


def as_a_process(repo: Path, env: dict[str, str], runs: int) -> list[float]:
    """`cloudops preflight` as an operator runs it: a new process each time."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "cloudops", "--repo", str(repo), "preflight", "-f", "json"],
            capture_output=True, env=env, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        times.append(time.perf_counter() - start)
    return times


def offline(runs: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "NETBOX_"))}
    s = statistics.median(as_a_process(ROOSEVELT, env, runs))
    print(
        f"preflight, offline gates, roosevelt (126 hosts): {s:.2f} s (median of {runs}); budget 1 s: {s:.2f} of it"
    )


def netbox(runs: int, port: int, workers: int) -> None:
    from cloudops.ipam import compare, read
    from cloudops.lab.netbox import NetBoxLab
    from cloudops.site.load import load_registry

    registry = load_registry(ROOSEVELT).require_valid()
    with tempfile.TemporaryDirectory(prefix="cloudops-nb-diff-") as tmp:
        lab = NetBoxLab(Path(tmp) / "lab", base_port=port, workers=workers)
        try:
            lab.up()
            t0 = time.monotonic()
            held = lab.load(registry, "roosevelt")
            print(f"NetBox loaded with roosevelt in {time.monotonic() - t0:.1f} s: {held}")
            want = compare.desired(ROOSEVELT, "roosevelt")
            nb = read.api(read.NetBoxTarget(lab.url, lab.token))
            calls: list[str] = []
            send = nb.http_session.request

            def counted(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
                calls.append(url)
                return send(method, url, *args, **kwargs)

            nb.http_session.request = counted
            times = []
            for _ in range(runs):
                calls.clear()
                start = time.perf_counter()
                have = read.fetch(nb, list(want.devices), [str(c) for c in want.prefixes])
                diffs = compare.diff(want, have)
                times.append(time.perf_counter() - start)
            s = statistics.median(times)
            print(
                f"netbox diff, roosevelt, NetBox with {workers} worker(s) ({len(want.devices)} devices, {len(want.prefixes)} prefixes, "
                f"{len(want.ips)} addresses): {s:.2f} s (median of {runs}), {len(calls)} API requests, "
                f"{len(diffs)} differences; budget 3 s: {s / 3:.2f} of it"
            )
        finally:
            lab.destroy()


def lab(runs: int) -> None:
    import asyncio

    from cloudops.health import assemble
    from cloudops.health import targets as targets_mod
    from cloudops.preflight import gates
    from cloudops.preflight.run import preflight
    from cloudops.probes import ssh
    from cloudops.site.load import load_registry

    exported = subprocess.run(
        [sys.executable, "-m", "cloudops", "lab", "env"], capture_output=True, text=True, check=True
    ).stdout
    env = {
        k: v.strip("'\"")
        for k, v in (ln.removeprefix("export ").split("=", 1) for ln in exported.splitlines())
    }
    os.environ.update(env)
    repo = ROOT / "examples" / "lab"
    t = targets_mod.resolve(None)
    registry = load_registry(repo).require_valid()
    hosts = [h for h in assemble.host_targets(registry, t.hosts or None) if h.expected]
    ctx = gates.Context(
        root=repo,
        site="lab",
        netbox_url=os.environ.get("CLOUDOPS_NETBOX_URL"),
        netbox_token_file=Path(os.environ["CLOUDOPS_NETBOX_TOKEN_FILE"])
        if os.environ.get("CLOUDOPS_NETBOX_TOKEN_FILE")
        else None,
        targets=t,
    )

    busy: dict[str, list[float]] = {}  # the machine's CPU seconds each probe alone took

    def alone() -> dict[str, float]:
        took = {}
        connector = ssh.Connector(t.ssh_config)
        for h in hosts:
            start, b0 = time.perf_counter(), machine_busy()
            facts = asyncio.run(
                ssh.probe(h.name, config=t.ssh_config, timeout=t.timeout, kvm=h.kvm, connector=connector,
                          dns=h.dns, ntp=h.ntp)
            )  # fmt: skip
            assert facts.reachable, facts.error
            took[f"host {h.name}"] = time.perf_counter() - start
            busy.setdefault(f"host {h.name}", []).append(machine_busy() - b0)
        start, b0 = time.perf_counter(), machine_busy()
        result = gates.ipam(ctx)
        took["netbox read + diff"] = time.perf_counter() - start
        busy.setdefault("netbox read + diff", []).append(machine_busy() - b0)
        assert result.status.value == "PASS", result
        return took

    alone()  # imports and first connections out of the way
    busy.clear()
    probes: dict[str, list[float]] = {}
    whole: list[float] = []
    cpu: list[float] = []
    whole_busy: list[float] = []
    for _ in range(runs):
        for name, seconds in alone().items():
            probes.setdefault(name, []).append(seconds)
        start, cpu_start, b0 = time.perf_counter(), time.process_time(), machine_busy()
        result = preflight(ctx)
        whole.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
        whole_busy.append(machine_busy() - b0)
        assert result.status.value == "PASS", [
            c for g in result.gates for c in g.checks if c.status.value != "PASS"
        ]
    medians = {name: statistics.median(v) for name, v in probes.items()}
    slowest = max(medians, key=lambda n: medians[n])
    w = statistics.median(whole)
    times = as_a_process(repo, {**os.environ}, runs)
    print("probes alone (median wall, machine CPU): " + ", ".join(
        f"{n} {s:.3f} s, {statistics.median(busy[n]):.3f} s" for n, s in sorted(medians.items())
    ))  # fmt: skip
    cores = os.cpu_count() or 1
    probes_cpu = sum(statistics.median(v) for v in busy.values())
    whole_cpu = statistics.median(whole_busy)
    print(
        f"preflight on the lab ({len(hosts)} hosts, NetBox): {w:.3f} s in-process (median of {runs}); slowest "
        f"probe alone: {slowest} {medians[slowest]:.3f} s; ratio {w / medians[slowest]:.2f} (budget 1.5); "
        f"this process's CPU {statistics.median(cpu):.3f} s; a new process: {statistics.median(times):.2f} s"
    )
    print(
        f"the machine's CPU: the probes one by one {probes_cpu:.3f} s in all, the whole preflight {whole_cpu:.3f} s; "
        f"on {cores} cores the whole cannot take less than {whole_cpu / cores:.3f} s (the probes alone: "
        f"{probes_cpu / cores:.3f} s), that is at least {whole_cpu / cores / medians[slowest]:.2f}x the slowest "
        f"probe ({probes_cpu / cores / medians[slowest]:.2f}x for the probes' own work)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument(
        "--port", type=int, default=28700, help="NetBox's base port (PostgreSQL; +1 Redis, +2 HTTP)"
    )
    ap.add_argument("--no-netbox", action="store_true")
    ap.add_argument("--lab", action="store_true", help="also the whole preflight on the running lab (see 3.)")
    ap.add_argument("--workers", type=int, default=2, help="NetBox's gunicorn workers (the lab runs 2)")
    args = ap.parse_args()
    offline(args.runs)
    if not args.no_netbox:
        netbox(args.runs, args.port, args.workers)
    if args.lab:
        lab(args.runs)


if __name__ == "__main__":
    main()
