"""API requests per `cloudops assert` do not grow with the cloud's servers and volumes (issue #24, goal 4).

On the lab: `assert` is run (its own count of API requests, and its wall), then SERVERS fake-driver
servers and VOLUMES volumes are created in a project of their own, `assert` is run again, and everything
is removed (the project, its quotas, the flavor, the servers and the volumes), failure or not. The
requests must be equal; the sweep's seconds are shown beside them.

Servers are booted in batches (``min_count``) without a network (microversion 2.37 ``networks: none``):
the fake driver makes them ACTIVE in milliseconds and Neutron is not what is measured. Volumes are 1 GB
RBD volumes on the lab's Ceph (thin: nothing is written).

One compute node builds one claim at a time (nova's resource-tracker lock): the lab's own compute alone
makes ~10 servers a minute. With namespace compute hosts the five computes share the work (~46 a minute):

    .venv/bin/cloudops lab up --hosts 4
    eval "$(.venv/bin/cloudops lab env)"
    .venv/bin/python benchmarks/assert_scale.py --servers 500 --volumes 200
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

PROJECT = "bench-assert-scale"
FLAVOR = "bench.assert-scale"


def run_assert(runs: int) -> tuple[int, float, float, str]:
    """API requests (equal in every run, else the benchmark stops), median sweep and process seconds."""
    requests, sweeps, walls, verdict = set(), [], [], ""
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "cloudops", "assert", "-f", "json"],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        walls.append(time.perf_counter() - start)
        try:
            report = json.loads(out.stdout)
        except ValueError:
            raise SystemExit(f"assert gave no report ({out.returncode}): {out.stderr[-600:]}") from None
        requests.add(report["api_requests"])
        sweeps.append(report["seconds"])
        verdict = report["verdict"]
    if len(requests) != 1:
        raise SystemExit(f"assert's API requests differ between runs on the same cloud: {sorted(requests)}")
    return requests.pop(), statistics.median(sweeps), statistics.median(walls), verdict


def wait_for(what: str, check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        done, total, failed = check()
        print(f"\r  {what}: {done}/{total}", end="", flush=True)
        if failed:
            raise SystemExit(f"\n{what}: {failed} in error")
        if done >= total:
            print()
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"\n{what}: {done}/{total} after {timeout:.0f} s")
        time.sleep(10)


def _scoped(conn: Any, project_id: str) -> Any:
    """The same user scoped to the benchmark's project (the cloud's own project named by name dropped)."""
    return conn.connect_as(
        project_id=project_id, project_name=None, project_domain_name=None, project_domain_id=None
    )


def populate(conn: Any, servers: int, volumes: int) -> Any:
    """The project, its quotas, a flavor; the servers and volumes in it. Returns the project's connection."""
    project = conn.identity.create_project(
        name=PROJECT, domain_id="default", description="issue #24 benchmark"
    )
    admin_role = conn.identity.find_role("admin")
    me = conn.identity.find_user(conn.auth["username"], domain_id="default")
    conn.identity.assign_project_role_to_user(project, me, admin_role)
    conn.set_compute_quotas(project.id, instances=-1, cores=-1, ram=-1)
    conn.set_volume_quotas(project.id, volumes=-1, gigabytes=-1)
    flavor = conn.compute.find_flavor(FLAVOR) or conn.compute.create_flavor(
        name=FLAVOR, vcpus=1, ram=64, disk=0, is_public=True
    )
    image = next(iter(conn.image.images()), None)
    if image is None:
        raise SystemExit("the lab has no image: run `cloudops lab up` (it uploads one)")
    proj = _scoped(conn, project.id)
    start = time.perf_counter()
    left = servers
    while left:
        batch = min(50, left)
        proj.compute.post(
            "/servers",
            json={"server": {"name": "bench", "flavorRef": flavor.id, "imageRef": image.id, "networks": "none",
                             "min_count": batch, "max_count": batch}},
            microversion="2.37",
        ).raise_for_status()  # fmt: skip
        left -= batch

    def servers_state() -> tuple[int, int, int]:
        # counted by status filter, ids only: listing 500 servers in detail every poll starves the lab
        def count(status: str) -> int:
            return len(proj.compute.get(f"/servers?status={status}&limit=1000").json()["servers"])

        return count("ACTIVE"), servers, count("ERROR")

    wait_for("servers ACTIVE", servers_state, 900)
    print(f"  {servers} servers in {time.perf_counter() - start:.0f} s")
    start = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: proj.block_storage.create_volume(size=1, name=f"bench-{i}"), range(volumes)))

    def volumes_state() -> tuple[int, int, int]:
        states = [v.status for v in proj.block_storage.volumes()]
        return states.count("available"), volumes, states.count("error")

    wait_for("volumes available", volumes_state, 900)
    print(f"  {volumes} volumes in {time.perf_counter() - start:.0f} s")
    return proj


def clean(conn: Any) -> None:
    """Everything `populate` made, whatever it got to."""
    project = conn.identity.find_project(PROJECT, domain_id="default")
    if project is not None:
        proj = _scoped(conn, project.id)
        for server in proj.compute.servers(project_id=project.id):
            proj.compute.delete_server(server, force=True)
        deadline = time.monotonic() + 600
        while any(True for _ in proj.compute.servers(project_id=project.id)) and time.monotonic() < deadline:
            time.sleep(2)
        vols = list(proj.block_storage.volumes())
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda v: proj.block_storage.delete_volume(v, force=True), vols))
        while any(True for _ in proj.block_storage.volumes()) and time.monotonic() < deadline:
            time.sleep(2)
        conn.delete_compute_quotas(project.id)
        conn.delete_volume_quotas(project.id)
        conn.identity.delete_project(project)
    flavor = conn.compute.find_flavor(FLAVOR)
    if flavor is not None:
        conn.compute.delete_flavor(flavor)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--servers", type=int, default=500)
    ap.add_argument("--volumes", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3, help="assert runs at each size (medians shown)")
    args = ap.parse_args()
    if "OS_CLIENT_CONFIG_FILE" not in os.environ:
        raise SystemExit('point at the lab first: eval "$(.venv/bin/cloudops lab env)"')
    import openstack

    conn = openstack.connect(cloud=os.environ.get("OS_CLOUD", "lab-admin"))
    clean(conn)  # a run that was killed left its project
    before = run_assert(args.runs)
    print(
        f"before: {before[0]} API requests, sweep {before[1]:.2f} s, process {before[2]:.2f} s, {before[3]}"
    )
    try:
        populate(conn, args.servers, args.volumes)
        after = run_assert(args.runs)
        print(
            f"with {args.servers} servers and {args.volumes} volumes: {after[0]} API requests, "
            f"sweep {after[1]:.2f} s, process {after[2]:.2f} s, {after[3]}"
        )
    finally:
        print("removing what was made ...", flush=True)
        clean(conn)
    verdict = "constant" if after[0] == before[0] else "GROWS"
    print(f"API requests: {before[0]} -> {after[0]}: {verdict}; sweep {after[1] / before[1]:.2f}x")
    if after[0] != before[0]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
