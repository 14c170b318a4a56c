"""What one `assert` judges, gathered: the recordings (``--from``), the targets file (and the cloud
chosen), the hosts to sweep, the repository's bundle, version lock, policy and maintenance window, and the
latest smoke run from the journal; with ``--smoke``, the smoke test and its revert written as gate plans
(never run here). The CLI parses options and calls ``gather``; anything else may call it too."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudops.checks import Context
from cloudops.errors import InputError
from cloudops.health import assemble, repo_inputs
from cloudops.health import targets as targets_mod


@dataclass(frozen=True)
class Request:
    """What was asked for (the CLI's options, typed)."""

    os_cloud: str | None = None
    targets: Path | None = None
    recordings: tuple[Path, ...] = ()
    host_names: tuple[str, ...] | None = None
    maintenance: str | None = None
    smoke: bool = False
    smoke_cloud: str | None = None
    smoke_cidr: str = "198.18.250.0/24"  # the CLI's default: inside 198.18.0.0/15, the labs' own
    smoke_max_age: dt.timedelta = dt.timedelta(hours=24)
    smoke_server: tuple[str, str] | None = None
    timeout: float | None = None
    concurrency: int = 32


@dataclass(frozen=True)
class SmokePlans:
    plan: Path
    revert: Path
    sha256: str

    @property
    def note(self) -> str:
        return (
            f"not run here: the smoke test creates resources, so it is a plan for the approval gate: {self.plan} "
            f"(cloudops approve, then cloudops apply; each change verified; its revert: {self.revert})"
        )


def gather(
    repo: Any, req: Request, *, now: dt.datetime | None = None
) -> tuple[assemble.Inputs, SmokePlans | None]:
    """The sweep's inputs (``repo``: the ops repository, or None for a sweep without one), and the smoke
    plans when ``req.smoke`` asked for them."""
    now = now or dt.datetime.now(dt.UTC)
    evidence = None
    if req.recordings:
        from cloudops.evidence import read as evidence_read

        evidence = evidence_read.read(list(req.recordings))
    tpath = req.targets or targets_mod.DEFAULT_TARGETS.expanduser()
    tgt = targets_mod.load(tpath) if (req.targets or tpath.is_file()) else targets_mod.Targets()
    if req.timeout is not None:
        tgt = dataclasses.replace(tgt, timeout=req.timeout)
    cloud = req.os_cloud or tgt.cloud or os.environ.get("OS_CLOUD") or None
    if cloud and cloud != tgt.cloud:
        tgt = dataclasses.replace(tgt, cloud=cloud)
    if cloud:
        from cloudops.probes.clouds import require_known

        require_known(cloud, tgt.clouds_yaml)
    window = req.maintenance or (repo_inputs.maintenance(repo.root, now) if repo else None)
    names = list(req.host_names) if req.host_names is not None else None
    hosts = _hosts(repo, evidence, names, tgt)
    site = repo.name if repo else "unknown"
    smoke = (
        write_smoke_plans(site, req.smoke_cloud or tgt.cloud, req.smoke_cidr, req.smoke_server)
        if req.smoke
        else None
    )
    from cloudops.health import smoke_results

    smoked = smoke_results.read(site, now=now, max_age=req.smoke_max_age)
    inputs = assemble.Inputs(
        site=site,
        # recordings are judged instead of the live services: the targets are not asked
        targets=targets_mod.Targets(timeout=tgt.timeout) if req.recordings else tgt,
        evidence=evidence,
        hosts=hosts,
        bundle_units=repo_inputs.bundle_units(repo.root) if repo else {},
        bundle_charms=repo_inputs.bundle_charms(repo.root) if repo else {},
        policy=repo_inputs.policy(repo.root if repo else None),
        lock=repo_inputs.version_lock(repo.root) if repo else {},
        context=Context(maintenance=window),
        smoke=req.smoke,
        smoke_note=smoke.note if smoke else None,
        smoke_findings=smoked.findings,
        smoke_record=smoked.note,
        concurrency=req.concurrency,
    )
    return inputs, smoke


def _hosts(
    repo: Any, evidence: Any, names: list[str] | None, tgt: targets_mod.Targets
) -> tuple[assemble.HostTarget, ...]:
    if evidence is not None:  # what the registry expects of the hosts whose facts were recorded
        if repo is not None and evidence.of("host-facts"):
            return assemble.host_targets(repo.registry, names)
        return ()
    if names is None and not tgt.ssh:
        return ()
    wanted = names if names is not None else (list(tgt.hosts) if tgt.hosts else None)
    if repo is not None:
        return assemble.host_targets(repo.registry, wanted)
    if wanted:
        return tuple(assemble.HostTarget(n) for n in wanted)
    raise InputError("hosts to sweep: give --hosts, list them in the targets file, or use an ops repository")


def write_smoke_plans(site: str, cloud: str | None, cidr: str, server: tuple[str, str] | None) -> SmokePlans:
    """The tenant smoke test and its revert, written as plans for the approval gate; never run here."""
    from cloudops.change.plan import creator, plan_path, plan_stamp, write_plan
    from cloudops.health.smoke import smoke_plan, smoke_revert_plan

    if not cloud:
        raise InputError(
            "--smoke needs the cloud whose tenant it runs as: --smoke-cloud, or `cloud:` in targets"
        )
    made = creator()
    stamp = plan_stamp(made.at)
    plan = smoke_plan(site, cloud, stamp.lower(), made, cidr=cidr, server=server)
    out = plan_path(site, made.at, "smoke")
    undo = out.with_name(f"{stamp}-smoke-revert.json")
    write_plan(plan, out)
    write_plan(smoke_revert_plan(site, cloud, stamp.lower(), made, server=server is not None), undo)
    return SmokePlans(out, undo, plan.sha256)
