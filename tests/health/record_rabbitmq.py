"""Record RabbitMQ's own ``cluster_status`` from private brokers, for tests/data/recorded/rabbitmq/.

Run by hand (not a test; it starts up to two Erlang VMs for a minute):

    .venv/bin/python -m tests.health.record_rabbitmq OUTDIR

Single node: healthy, disk alarm (a ``disk_free_limit`` above the free space), memory alarm (a watermark
below the node's footprint), node down and wrong cookie (the CLI's stderr). Two nodes clustered on one
epmd: one member stopped (running fewer than disk nodes), and a partition made by suspending one node
(SIGSTOP) past a short ``net_ticktime`` and resuming it — RabbitMQ's default ``partition_handling =
ignore`` then reports the partition on both sides.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.health.services import Service, free_port, rabbitmq, stop

CLI = "/usr/lib/rabbitmq/bin/rabbitmq-diagnostics"
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"


def diag(svc: Service, *args: str) -> subprocess.CompletedProcess[str]:
    assert svc.env is not None and svc.node is not None
    return subprocess.run(
        [CLI, "-q", "-n", svc.node, *args], env=svc.env, capture_output=True, text=True, timeout=90,
        stdin=subprocess.DEVNULL, cwd=svc.env["HOME"],
    )  # fmt: skip


def status(svc: Service) -> subprocess.CompletedProcess[str]:
    return diag(svc, "cluster_status", "--formatter", "json")


def save(out: Path, name: str, proc: subprocess.CompletedProcess[str]) -> None:
    print(f"{name}: rc {proc.returncode}", file=sys.stderr)
    if proc.returncode == 0:
        (out / f"cluster-status_{name}.json").write_text(proc.stdout)
    else:
        (out / f"cluster-status_{name}.stderr").write_text(proc.stderr)


def ctl(svc: Service, *args: str) -> None:
    assert svc.env is not None and svc.node is not None
    subprocess.run(
        [CTL, "-q", "-n", svc.node, *args], env=svc.env, check=True, capture_output=True, timeout=120,
        stdin=subprocess.DEVNULL, cwd=svc.env["HOME"],
    )  # fmt: skip


def single(out: Path, tmp: Path) -> None:
    with rabbitmq(tmp / "ok") as svc:
        save(out, "ok", status(svc))
    with rabbitmq(tmp / "disk", disk_free_limit="100000GB") as svc:
        time.sleep(3)
        save(out, "disk-alarm", status(svc))
    with rabbitmq(tmp / "mem", memory_limit="10MiB") as svc:
        time.sleep(3)
        save(out, "memory-alarm", status(svc))
        assert svc.env is not None
        other = tmp / "mem" / "otherhome"
        other.mkdir()
        svc.env = {**svc.env, "HOME": str(other)}
        save(out, "wrong-cookie", status(svc))
        stop(svc.proc)
        svc.env = {**svc.env, "HOME": str(tmp / "mem" / "home")}
        save(out, "node-down", status(svc))


def cluster(out: Path, tmp: Path) -> None:
    cookie, epmd, ticks = secrets.token_hex(16), free_port(), "-kernel net_ticktime 4"
    with (
        rabbitmq(tmp / "a", cookie=cookie, erl_args=ticks, epmd_port=epmd) as a,
        rabbitmq(tmp / "b", cookie=cookie, erl_args=ticks, epmd_port=epmd) as b,
    ):
        assert a.node is not None
        ctl(b, "stop_app")
        ctl(b, "join_cluster", a.node)
        ctl(b, "start_app")
        save(out, "two-nodes", status(a))
        os.killpg(b.proc.pid, signal.SIGSTOP)  # the node freezes: its peer stops hearing its ticks
        time.sleep(20)
        save(out, "two-nodes_peer-frozen", status(a))
        os.killpg(b.proc.pid, signal.SIGCONT)
        time.sleep(15)
        save(out, "two-nodes_partition", status(a))
        ctl(b, "stop_app")  # the node is up, its RabbitMQ application stopped
        time.sleep(2)
        save(out, "two-nodes_peer-stopped", status(a))


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        single(out, Path(d))
        cluster(out, Path(d))


if __name__ == "__main__":
    main()
