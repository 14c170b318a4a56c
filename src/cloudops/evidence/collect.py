"""``cloudops collect``: a site's evidence, captured once, as a bundle that ``assert --from`` (and any
operator, and tools such as hotsos) reads later.

What is collected follows the targets file, as ``assert`` does: ``juju status`` (JSON) and the status
log of every unit that is not active, RabbitMQ's ``cluster_status`` through a unit (or the targets'
status command), the InnoDB ``cluster-status`` action, ``ceph status`` / ``health detail`` / ``osd tree``
/ ``versions``, the OpenStack service, agent, hypervisor and volume service listings (the API's own
bodies), Magnum's services, clusters and node groups and the Cluster API management cluster's ``/readyz``
(where the targets name ``magnum``), and each host's facts. Commands run concurrently, each bounded in time; a command that fails is
listed in the manifest with its error and the collection goes on. Every file is redacted as it is written.

The plan (which commands) is pure; running and writing are the side effects, apart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudops.health.targets import Targets

MANIFEST_SCHEMA = "cloudops-evidence/1"  # cloudops.schemas
HOST_FACTS_KIND = "cloudops-host-facts/1"
TOKEN_KIND = "cloudops-openstack-token/1"
VERSIONS_KIND = "cloudops-openstack-versions/1"
MAGNUM_KIND = "cloudops-magnum/1"
READYZ_KIND = "cloudops-capi-readyz/1"


@dataclass(frozen=True)
class Output:
    rc: int
    stdout: str
    stderr: str = ""
    error: str | None = None  # why it failed, in one line


@dataclass(frozen=True)
class Step:
    """One thing to record: its file in the bundle, the command as shown, and how to run it. ``then``
    plans follow-ups from its output (the status log of each unit ``juju status`` shows unhealthy)."""

    file: str
    command: str
    run: Callable[[float], Output]
    then: Callable[[Output], list[Step]] | None = None


@dataclass(frozen=True)
class Record:
    file: str
    command: str
    at: str
    seconds: float
    rc: int
    text: str  # what the command printed on stdout
    error: str | None = None
    stderr: str = ""  # kept beside the file (FILE.stderr) when the command failed


# -- the plan (pure) --------------------------------------------------------------------------------


def _argv_step(file: str, argv: Sequence[str], then: Callable[[Output], list[Step]] | None = None) -> Step:
    from cloudops.probes import command

    def run(timeout: float) -> Output:
        r = command.run(list(argv), timeout=timeout)
        error = None
        if r.rc != 0:
            error = (r.stderr.strip().splitlines() or [f"exit status {r.rc}"])[-1]
        return Output(r.rc, r.stdout, r.stderr, error)

    return Step(file, " ".join(argv), run, then)


def juju_followups(status_json: str, model: str | None) -> list[Step]:
    """From a model's status: the status log of each unit that is not active and idle, RabbitMQ's own
    cluster status through a unit, and the InnoDB cluster's ``cluster-status`` action (Juju 3's ``juju
    run`` or 2.9's ``run-action --wait``)."""
    from cloudops.probes import juju

    try:
        doc = json.loads(status_json)
    except (ValueError, RecursionError):
        return []
    if not isinstance(doc, dict):
        return []
    status = juju.parse_document("juju status", doc)
    m = ["-m", model] if model else []
    legacy = (status.juju_version or "3").startswith("2.")
    out = []
    for app in status.apps:
        for unit in app.units:
            if unit.workload not in ("active", "unknown") or unit.agent not in ("idle", "executing"):
                out.append(
                    _argv_step(
                        f"juju/status-log/{unit.name.replace('/', '_')}.txt",
                        ["juju", "show-status-log", *m, unit.name],
                    )
                )
        if app.charm == "rabbitmq-server" and app.units:
            inner = ["rabbitmqctl", "cluster_status", "--formatter", "json"]
            via = (
                ["juju", "run", *m, "--unit", f"{app.name}/leader", "--"]
                if legacy
                else ["juju", "exec", *m, "--unit", f"{app.name}/leader", "--"]
            )
            out.append(_argv_step(f"rabbitmq/{app.name}_cluster_status.json", [*via, *inner]))
        if app.charm == "mysql-innodb-cluster" and app.units:
            action = (
                ["juju", "run-action", "--wait", *m, f"{app.name}/leader", "cluster-status"]
                if legacy
                else ["juju", "run", *m, f"{app.name}/leader", "cluster-status", "--format=yaml"]
            )
            out.append(_argv_step(f"mysql/{app.name}_cluster-status.yaml", action))
    return out


def plan(targets: Targets, hosts: Sequence[str] = ()) -> list[Step]:
    """The steps the targets call for (no I/O)."""
    steps: list[Step] = []
    if targets.juju:
        model = targets.juju_model
        argv = ["juju", "status", "--format=json", *(["-m", model] if model else [])]
        steps.append(_argv_step("juju/status.json", argv, lambda out: juju_followups(out.stdout, model)))
    if targets.ceph:
        from cloudops.probes.ceph import ceph_argv

        base = ceph_argv(targets.ceph.conf, targets.ceph.user)
        for name, words in (
            ("status", ["status"]),
            ("health-detail", ["health", "detail"]),
            ("osd-tree", ["osd", "tree"]),
            ("versions", ["versions"]),
        ):
            steps.append(_argv_step(f"ceph/{name}.json", [*base, *words, "-f", "json"]))
    if targets.amqp and targets.amqp.status_command:
        steps.append(_argv_step("rabbitmq/cluster_status.json", list(targets.amqp.status_command)))
    if targets.cloud:
        steps.append(_openstack_step(targets))
    if targets.magnum is not None and targets.magnum.management_api:
        steps.append(_readyz_step(targets))
    for host in hosts:
        steps.append(_host_step(host, targets))
    return steps


LISTINGS = (
    ("compute-services", "openstack/compute-service-list.json", "services"),
    ("hypervisors", "openstack/hypervisor-list.json", "hypervisors"),
    ("network-agents", "openstack/network-agent-list.json", "agents"),
    ("volume-services", "openstack/volume-service-list.json", "services"),
)


def _openstack_step(targets: Targets) -> Step:
    """A token first (the catalog is its record), then one step per listing over that session."""
    from cloudops.probes import openstack as os_probe

    session: dict[str, Any] = {}

    def connect(timeout: float) -> Output:
        s = os_probe.connect(targets.cloud, timeout=timeout, clouds_yaml=targets.clouds_yaml)
        session["s"] = s
        doc = {
            "kind": TOKEN_KIND,
            "cloud": targets.cloud,
            "ok": s.ok,
            "error": s.error,
            "seconds": round(s.seconds, 3),
            "region": s.region,
            "catalog": [dataclasses.asdict(e) for e in s.catalog],
        }
        return Output(0, json.dumps(doc, indent=1))  # no token is an observation (FAIL), not a gap

    def versions(timeout: float) -> Output:
        s = session["s"]
        roots: dict[str, tuple[str, str]] = {}
        for ep in sorted(s.catalog, key=lambda e: (e.interface != "public", e.interface)):
            roots.setdefault(os_probe.version_root(ep.url), (ep.service_type, ep.interface))
        rows = []
        for url, (service_type, interface) in sorted(roots.items()):
            doc = os_probe.get_version_doc(s, url, timeout=timeout)
            rows.append({"service_type": service_type, "interface": interface, **dataclasses.asdict(doc)})
        return Output(0, json.dumps({"kind": VERSIONS_KIND, "endpoints": rows}, indent=1))

    def listings(out: Output) -> list[Step]:
        if not session["s"].ok:
            return []
        steps = [
            Step(
                "openstack/versions.json",
                f"GET every catalog root's version document (cloud {targets.cloud})",
                versions,
            )
        ]
        for what, file, key in LISTINGS:

            def run(timeout: float, what: str = what, key: str = key) -> Output:
                from cloudops.probes import NotChecked

                try:
                    listing = os_probe.list_call(session["s"], what, timeout=timeout)
                except NotChecked as exc:
                    return Output(1, "", error=f"not collected: {exc}")
                if listing.error:
                    return Output(1, "", error=listing.error)
                return Output(0, json.dumps({key: list(listing.rows)}, indent=1, default=str))

            steps.append(Step(file, f"GET {what} (cloud {targets.cloud})", run))
        if targets.magnum is not None:
            steps.append(_magnum_step(targets, session))
        return steps

    return Step("openstack/token.json", f"keystone token (cloud {targets.cloud})", connect, listings)


def _magnum_step(targets: Targets, session: dict[str, Any]) -> Step:
    """Magnum's answers as the Magnum layer reads them (one record: conductors, clusters, node groups)."""

    def run(timeout: float) -> Output:
        from cloudops.probes import NotChecked, magnum

        try:
            state = magnum.read(session["s"], timeout=timeout)
        except NotChecked as exc:
            return Output(1, "", error=f"not collected: {exc}")
        doc = {"kind": MAGNUM_KIND, **dataclasses.asdict(state)}
        return Output(0, json.dumps(doc, indent=1, default=str))

    return Step(
        "magnum/magnum.json", f"GET container-infra /mservices, /clusters/detail (cloud {targets.cloud})", run
    )


def _readyz_step(targets: Targets) -> Step:
    def run(timeout: float) -> Output:
        from cloudops.probes import magnum

        assert targets.magnum is not None
        ready = magnum.read_readyz(dataclasses.replace(targets.magnum, timeout=timeout))
        return Output(0, json.dumps({"kind": READYZ_KIND, **dataclasses.asdict(ready)}, indent=1))

    assert targets.magnum is not None
    return Step("magnum/readyz.json", f"GET {targets.magnum.management_api}/readyz", run)


def _host_step(host: str, targets: Targets) -> Step:
    def run(timeout: float) -> Output:
        import asyncio

        from cloudops.probes import ssh

        facts = asyncio.run(ssh.probe(host, config=targets.ssh_config, timeout=timeout))
        doc = {"kind": HOST_FACTS_KIND, **dataclasses.asdict(facts)}
        if not facts.reachable:
            return Output(1, json.dumps(doc, indent=1), error=facts.error)
        return Output(0, json.dumps(doc, indent=1))

    return Step(f"hosts/{host}.json", f"ssh {host} (host facts script)", run)


# -- running and writing (side effects) --------------------------------------------------------------


def run(
    steps: list[Step],
    *,
    timeout: float,
    concurrency: int = 8,
    progress: Callable[[Record], None] | None = None,
) -> list[Record]:
    """Run every step (and the follow-ups they plan) concurrently, each bounded by ``timeout``. Never
    raises for a step's sake: a crash is a record with its error."""
    from cloudops.redact import default

    redactor = default()
    records: list[Record] = []
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        pending: dict[Future[tuple[Output, float, str]], Step] = {}

        def submit(step: Step) -> None:
            pending[pool.submit(_timed, step, timeout)] = step

        for step in steps:
            submit(step)
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                step = pending.pop(fut)
                out, seconds, at = fut.result()
                rec = Record(
                    step.file,
                    redactor.text(step.command),
                    at,
                    round(seconds, 3),
                    out.rc,
                    redactor.text(out.stdout),
                    redactor.text(out.error) if out.error else None,
                    redactor.text(out.stderr) if out.rc != 0 else "",
                )
                records.append(rec)
                if progress:
                    progress(rec)
                if step.then is not None:
                    try:
                        follow = step.then(out)
                    except Exception as exc:  # a follow-up plan that cannot be made is noted, not fatal
                        records.append(
                            Record(
                                step.file + ".followups",
                                step.command,
                                at,
                                0.0,
                                1,
                                "",
                                f"{type(exc).__name__}: {exc}",
                            )
                        )
                        follow = []
                    for nxt in follow:
                        submit(nxt)
    return sorted(records, key=lambda r: r.file)


def _timed(step: Step, timeout: float) -> tuple[Output, float, str]:
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    start = time.monotonic()
    try:
        out = step.run(timeout)
    except Exception as exc:
        out = Output(1, "", error=f"{type(exc).__name__}: {exc}")
    return out, time.monotonic() - start, at


def manifest(site: str, records: list[Record], seconds: float) -> dict[str, Any]:
    files = []
    for r in records:
        entry: dict[str, Any] = {
            "file": r.file,
            "command": r.command,
            "at": r.at,
            "seconds": r.seconds,
            "rc": r.rc,
            "error": r.error or None,
        }
        files.append(entry)
    return {
        "schema": MANIFEST_SCHEMA,
        "site": site,
        "collected": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "files": files,
        "failed": [f["file"] for f in files if f["rc"] != 0],
    }


def summary(bundle: Path, man: dict[str, Any]) -> dict[str, Any]:
    """What ``collect -f json`` prints: the manifest, and where the bundle was written."""
    from cloudops.schemas import stamp

    return stamp("collect", {"bundle": str(bundle), **{k: v for k, v in man.items() if k != "schema"}})


def write(out: Path, records: list[Record], man: dict[str, Any]) -> Path:
    """The bundle as a directory or, for a name ending in .tar.gz, an archive. Written beside its final
    name and renamed into place: a failed collection leaves nothing half-written."""
    import shutil
    import tempfile

    from cloudops.errors import InputError

    if out.exists():
        raise InputError("already exists (collect never overwrites evidence)", where=str(out))
    parent = out.parent if str(out.parent) else Path()
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".collect-", dir=parent))
    try:
        root = staging / "bundle"
        for r in records:
            for name, text in ((r.file, r.text), (r.file + ".stderr", r.stderr)):
                if text:
                    path = root / name
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text, encoding="utf-8")
        root.mkdir(parents=True, exist_ok=True)
        (root / "manifest.json").write_text(json.dumps(man, indent=1) + "\n", encoding="utf-8")
        if out.name.endswith((".tar.gz", ".tgz")):
            import tarfile

            tmp = staging / "bundle.tar.gz"
            top = out.name.removesuffix(".tar.gz").removesuffix(".tgz")
            with tarfile.open(tmp, "w:gz") as tar:
                tar.add(root, arcname=top)
            tmp.replace(out)
        else:
            root.replace(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out
