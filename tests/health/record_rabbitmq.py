"""Record RabbitMQ's own ``cluster_status`` from private brokers, for tests/data/recorded/rabbitmq/.

Run by hand (not a test; it starts up to two Erlang VMs for a minute):

    .venv/bin/python -m tests.health.record_rabbitmq OUTDIR          # cluster_status as the CLI prints it
    .venv/bin/python -m tests.health.record_rabbitmq --both OUTDIR   # and the management API at the same moment

Single node: healthy, disk alarm (a ``disk_free_limit`` above the free space), memory alarm (a watermark
below the node's footprint), node down and wrong cookie (the CLI's stderr). Two nodes clustered on one
epmd: one member stopped (running fewer than disk nodes), and a partition made by suspending one node
(SIGSTOP) past a short ``net_ticktime`` and resuming it — RabbitMQ's default ``partition_handling =
ignore`` then reports the partition on both sides.

With ``--both`` the nodes run the management plugin, and each state is saved once as
``both_<state>.json``: the CLI's ``cluster_status`` and the HTTP API's ``/api/overview`` and ``/api/nodes``
and ``/api/health/checks/alarms`` (what ``cloudops.probes.amqp`` asks) read one after the other from the
same broker, six seconds after the state was made (past the management agent's statistics interval: the
API's view of partitions lags by that much), so a test holds the two readings equal.
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


BOTH = "--both" in sys.argv


def api(svc: Service, path: str) -> object:
    import base64
    import json
    import urllib.request

    token = base64.b64encode(f"{svc.user}:{svc.password}".encode()).decode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{svc.http_port}{path}", headers={"Authorization": f"Basic {token}"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def save_both(out: Path, name: str, svc: Service) -> None:
    import json
    import urllib.error

    from cloudops.probes.amqp import ALARMS, NODE_COLUMNS, OVERVIEW

    time.sleep(6)  # past the management agent's statistics interval (5 s): the state has settled in both
    proc = status(svc)
    print(f"{name}: rc {proc.returncode}", file=sys.stderr)
    try:
        alarms = api(svc, ALARMS)
    except urllib.error.HTTPError as exc:  # 503: alarms in effect, listed in the body
        alarms = json.loads(exc.read())
    doc = {
        "cluster_status": json.loads(proc.stdout),
        "overview": api(svc, OVERVIEW),
        "nodes": api(svc, f"/api/nodes?columns={NODE_COLUMNS}"),
        "alarms": alarms,
    }
    (out / f"both_{name}.json").write_text(json.dumps(doc, indent=2) + "\n")


def save(out: Path, name: str, proc: subprocess.CompletedProcess[str], svc: Service | None = None) -> None:
    if BOTH:
        if proc.returncode == 0 and svc is not None:
            save_both(out, name, svc)
        return
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
    with rabbitmq(tmp / "ok", management=BOTH) as svc:
        save(out, "ok", status(svc), svc)
    with rabbitmq(tmp / "disk", disk_free_limit="100000GB", management=BOTH) as svc:
        time.sleep(3)
        save(out, "disk-alarm", status(svc), svc)
    with rabbitmq(tmp / "mem", memory_limit="10MiB", management=BOTH) as svc:
        time.sleep(3)
        save(out, "memory-alarm", status(svc), svc)
        assert svc.env is not None
        other = tmp / "mem" / "otherhome"
        other.mkdir()
        svc.env = {**svc.env, "HOME": str(other)}
        save(out, "wrong-cookie", status(svc), svc)
        stop(svc.proc)
        svc.env = {**svc.env, "HOME": str(tmp / "mem" / "home")}
        save(out, "node-down", status(svc), svc)


def cluster(out: Path, tmp: Path) -> None:
    cookie, epmd, ticks = secrets.token_hex(16), free_port(), "-kernel net_ticktime 4"
    with (
        rabbitmq(tmp / "a", cookie=cookie, erl_args=ticks, epmd_port=epmd, management=BOTH) as a,
        rabbitmq(tmp / "b", cookie=cookie, erl_args=ticks, epmd_port=epmd, management=BOTH) as b,
    ):
        assert a.node is not None
        ctl(b, "stop_app")
        ctl(b, "join_cluster", a.node)
        ctl(b, "start_app")
        save(out, "two-nodes", status(a), a)
        os.killpg(b.proc.pid, signal.SIGSTOP)  # the node freezes: its peer stops hearing its ticks
        time.sleep(20)
        save(out, "two-nodes_peer-frozen", status(a), a)
        os.killpg(b.proc.pid, signal.SIGCONT)
        time.sleep(15)
        save(out, "two-nodes_partition", status(a), a)
        ctl(b, "stop_app")  # the node is up, its RabbitMQ application stopped
        time.sleep(2)
        save(out, "two-nodes_peer-stopped", status(a), a)


def main() -> None:
    out = Path(next(a for a in sys.argv[1:] if a != "--both"))
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        single(out, Path(d))
        cluster(out, Path(d))


if __name__ == "__main__":
    main()
