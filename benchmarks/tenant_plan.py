"""`tenant plan` for many tenants in one run (issue #18): API calls and seconds, shared list calls against
one observation per tenant.

On the lab (`cloudops lab up`): N tenant specs are written into a copy of examples/lab; half of them are
made to exist first (a project, a network and subnet, a router and a security group each, created
directly with openstacksdk as setup, removed at the end) so the run reads both kinds. Then, on the same
cloud, the N tenants' plans are made twice: every tenant observed on its own (`tenants.observe.observe`, what
`tenant plan NAME` does N times) and all in one run (`workflow.changes_many`, `tenant plan --all`). Every
HTTP request either makes is counted.

    .venv/bin/python benchmarks/tenant_plan.py [--tenants 50]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SPEC = """\
name: {name}
description: {name}, a benchmark tenant
contact: {{name: Ops, email: ops@{name}.example}}
admin: {name}-admin
quotas:
  compute: {{instances: 7, cores: 14}}
networks:
  - name: {name}-net
    subnets:
      - {{name: {name}-v4, pool: tenants}}
routers:
  - {{name: {name}-gw, external_network: lab-external, subnets: [{name}-v4]}}
security_groups:
  - name: {name}-web
    rules:
      - {{protocol: tcp, ports: "443"}}
offboarding:
  policy: everything deleted
"""


class Counted:
    """Counts the HTTP requests keystoneauth sends (openstacksdk's transport) while inside."""

    def __enter__(self) -> Counted:
        from keystoneauth1 import session

        self.count = 0
        self._orig = session.Session.request
        bench = self

        def request(self_: Any, *args: Any, **kwargs: Any) -> Any:
            bench.count += 1
            return bench._orig(self_, *args, **kwargs)

        session.Session.request = request  # type: ignore[method-assign]
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        from keystoneauth1 import session

        self.seconds = time.perf_counter() - self.start
        session.Session.request = self._orig  # type: ignore[method-assign]


def main() -> None:
    from cloudops.lab.context import Lab
    from cloudops.lab.identity import connect
    from cloudops.lab.layout import LabLayout
    from cloudops.lab.lifecycle import env_lines
    from cloudops.repo.opsrepo import OpsRepo
    from cloudops.tenants import observe as reading
    from cloudops.tenants import workflow

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=50)
    args = parser.parse_args()
    lab = Lab(LabLayout.from_env())
    os.environ.update(env_lines(lab))
    conn = connect(lab)
    tmp = Path(tempfile.mkdtemp(prefix="cloudops-bench-tenants-"))
    repo_dir = tmp / "repo"
    shutil.copytree(ROOT / "examples" / "lab", repo_dir)
    names = [f"bench{i:03d}" for i in range(args.tenants)]
    (repo_dir / "tenants").mkdir(exist_ok=True)
    for n in names:
        (repo_dir / "tenants" / f"{n}.yaml").write_text(SPEC.format(name=n))
    made: list[Any] = []
    ext = conn.network.find_network("lab-external")
    try:
        began = time.perf_counter()
        for i, n in enumerate(names[: args.tenants // 2]):  # half onboarded, by hand, as setup
            p = conn.identity.create_project(name=n, domain_id="default")
            made.append(p)
            net = conn.network.create_network(name=f"{n}-net", project_id=p.id)
            sub = conn.network.create_subnet(
                name=f"{n}-v4", network_id=net.id, ip_version=4, cidr=f"198.19.{64 + i}.0/24", project_id=p.id
            )
            r = conn.network.create_router(
                name=f"{n}-gw", project_id=p.id, external_gateway_info={"network_id": ext.id}
            )
            conn.network.add_interface_to_router(r, subnet_id=sub.id)
            conn.network.create_security_group(name=f"{n}-web", project_id=p.id)
        print(
            f"setup: {len(made)} of {len(names)} tenants made to exist in {time.perf_counter() - began:.1f} s"
        )
        repo = OpsRepo.discover(str(repo_dir))
        with Counted() as each:
            for n in names:
                reading.observe(conn, n, "Default")
        with Counted() as shared:
            planned = workflow.changes_many(repo, names, "lab-admin")
        rows = sum(len(r) for _, r in planned)
        print(f"{len(names)} tenants, {rows} changes planned")
        print(f"  one observation per tenant: {each.count} requests, {each.seconds:.2f} s")
        print(
            f"  one run (tenant plan --all): {shared.count} requests, {shared.seconds:.2f} s "
            f"({each.count / shared.count:.1f}× fewer requests, {each.seconds / shared.seconds:.1f}× faster)"
        )
    finally:
        for p in made:
            for r in conn.network.routers(project_id=p.id):
                for port in conn.network.ports(device_id=r.id, device_owner="network:router_interface"):
                    conn.network.remove_interface_from_router(r, port_id=port.id)
                conn.network.delete_router(r)
            for g in conn.network.security_groups(project_id=p.id):
                conn.network.delete_security_group(g)
            for net in conn.network.networks(project_id=p.id):
                conn.network.delete_network(net)
            conn.identity.delete_project(p)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
