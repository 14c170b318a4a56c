"""Tenants onboarded on the lab from their specs, as an operator does it: `tenant plan` → `approve` (a real
pty) → `apply`; checked in Keystone, Nova, Neutron and Cinder; a re-plan is nothing; one quota edit is one
change; an apply killed with SIGKILL midway converges when resumed, with no duplicate; a pinned CIDR that
collides with the other tenant's subnet is refused at plan time naming both."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_schemas import validate
from tests.conftest import EXAMPLES
from tests.pty_approve import approve

pytestmark = [pytest.mark.live, pytest.mark.slow]

SPEC = """\
name: {name}
description: {name}, a lab tenant
contact: {{name: Ops, email: ops@{name}.example}}
admin: {name}-admin
users:
  - {{name: {name}-dev, roles: [member]}}
quotas:
  compute: {{instances: 7, cores: 14}}
  network: {{networks: 4, routers: 2}}
  volume: {{volumes: 5, gigabytes: 50}}
networks:
  - name: {name}-net
    subnets:
      - {{name: {name}-v4, pool: tenants{extra}}}
routers:
  - {{name: {name}-gw, external_network: lab-external, subnets: [{name}-v4]}}
security_groups:
  - name: {name}-web
    rules:
      - {{protocol: tcp, ports: "443"}}
offboarding:
  policy: everything deleted
"""


def _env(lab: Any, tmp_path: Path) -> dict[str, str]:
    from cloudops.lab.lifecycle import env_lines

    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "OS_"))}
    env |= dict(env_lines(lab)) | {"CLOUDOPS_STATE_DIR": str(tmp_path / "state"), "TERM": "dumb"}
    return env


def _cloudops(env: dict[str, str], repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudops", "--repo", str(repo), *args],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=300, check=False,
    )  # fmt: skip


def _plan(env: dict[str, str], repo: Path, name: str) -> tuple[Path | None, str]:
    out = _cloudops(env, repo, "tenant", "plan", name)
    assert out.returncode == 0, out.stdout + out.stderr
    found = re.search(r"^Plan written: (\S+)$", out.stdout, re.M)
    return (Path(found.group(1)) if found else None), out.stdout


def _onboard(env: dict[str, str], repo: Path, name: str) -> None:
    plan, shown = _plan(env, repo, name)
    assert plan is not None, shown
    assert approve(env, plan, repo) == 0
    done = _cloudops(env, repo, "apply", str(plan))
    assert done.returncode == 0, done.stdout + done.stderr


def _apply_at_a_terminal(env: dict[str, str], repo: Path, name: str) -> str:
    """`cloudops tenant apply NAME` under a real pty, approving as a person does."""
    import pexpect

    child = pexpect.spawn(
        sys.executable, ["-m", "cloudops", "--repo", str(repo), "tenant", "apply", name],
        env=env, encoding="utf-8", timeout=300, dimensions=(50, 200),
    )  # fmt: skip
    seen = []
    while True:
        idx = child.expect(
            [r"Type 'yes' to approve: ", r"Type the change id \((\S+)\) to approve", pexpect.EOF]
        )
        seen.append(child.before)
        if idx == 2:
            break
        child.sendline("yes" if idx == 0 else child.match.group(1))
    child.close()
    assert child.exitstatus == 0, "".join(seen)
    return "".join(seen)


def _cleanup(conn: Any, name: str) -> None:
    """Remove what the test made, whatever state it was left in (offboarding is not what is tested here)."""
    project = conn.identity.find_project(name, domain_id="default", ignore_missing=True)
    if project is not None:
        for router in conn.network.routers(project_id=project.id):
            for port in conn.network.ports(device_id=router.id, device_owner="network:router_interface"):
                conn.network.remove_interface_from_router(router, port_id=port.id)
            conn.network.delete_router(router)
        for net in conn.network.networks(project_id=project.id):
            conn.network.delete_network(net)
        for group in conn.network.security_groups(project_id=project.id):  # its "default" one too
            conn.network.delete_security_group(group)
        conn.identity.delete_project(project)
    for user in (f"{name}-admin", f"{name}-dev"):
        found = conn.identity.find_user(user, domain_id="default", ignore_missing=True)
        if found is not None:
            conn.identity.delete_user(found)


@pytest.fixture
def tenants(lab_up: Any, cloud: Any, tmp_path: Path) -> Any:
    repo = tmp_path / "lab"
    shutil.copytree(EXAMPLES / "lab", repo)
    (repo / "tenants").mkdir()
    tag = secrets.token_hex(2)
    names = (f"alpha{tag}", f"beta{tag}")
    for name in names:
        (repo / "tenants" / f"{name}.yaml").write_text(SPEC.format(name=name, extra=""))
    try:
        yield repo, names, _env(lab_up, tmp_path)
    finally:
        for name in names:
            _cleanup(cloud, name)


def test_two_tenants_onboarded_checked_in_every_service_and_re_planned_to_nothing(
    tenants: Any, cloud: Any
) -> None:
    repo, (alpha, beta), env = tenants
    _onboard(env, repo, alpha)  # plan, approve, apply: three commands
    out = _apply_at_a_terminal(env, repo, beta)  # the same gate in one
    assert f"tenant {beta}: 14 change(s) applied and verified" in out

    pool = IPv4Network("198.19.64.0/18")
    cidrs = []
    for name in (alpha, beta):
        project = cloud.identity.find_project(name, domain_id="default")
        grants = {(a.user["name"], a.role["name"])
                  for a in cloud.identity.role_assignments(scope_project_id=project.id, include_names=True)}  # fmt: skip
        assert grants == {(f"{name}-admin", "manager"), (f"{name}-dev", "member")}
        compute = cloud.compute.get_quota_set(project.id)
        assert (compute.instances, compute.cores) == (7, 14)
        volume = cloud.block_storage.get_quota_set(project.id)
        assert (volume.volumes, volume.gigabytes) == (5, 50)
        network = cloud.network.get_quota(project.id)
        assert (network.networks, network.routers) == (4, 2)
        (net,) = list(cloud.network.networks(project_id=project.id))
        (sub,) = list(cloud.network.subnets(project_id=project.id))
        assert (net.name, sub.name) == (f"{name}-net", f"{name}-v4")
        cidrs.append(IPv4Network(sub.cidr))
        assert cidrs[-1].subnet_of(pool) and cidrs[-1].prefixlen == 24
        (router,) = list(cloud.network.routers(project_id=project.id))
        external = cloud.network.find_network("lab-external")
        assert router.external_gateway_info["network_id"] == external.id
        ports = list(cloud.network.ports(device_id=router.id, device_owner="network:router_interface"))
        assert [ip["subnet_id"] for p in ports for ip in p.fixed_ips] == [sub.id]
        (group,) = [
            g for g in cloud.network.security_groups(project_id=project.id) if g.name == f"{name}-web"
        ]
        assert any(r["protocol"] == "tcp" and r["port_range_min"] == 443 for r in group.security_group_rules)
    assert not cidrs[0].overlaps(cidrs[1])  # the second tenant's block is the next free one

    for name in (alpha, beta):  # an onboarded tenant plans nothing, and `tenant show` sees no drift
        plan, shown = _plan(env, repo, name)
        assert plan is None and "nothing to do" in shown, shown
        shown_doc = _cloudops(env, repo, "tenant", "show", name, "-f", "json")
        assert shown_doc.returncode == 0, shown_doc.stdout
        doc = json.loads(shown_doc.stdout)
        validate("tenant-show", doc)
        assert [s["name"] for s in doc["subnets"]] == [f"{name}-v4"]
        assert doc["routers"] == [
            {"name": f"{name}-gw", "external_network": "lab-external", "subnets": [f"{name}-v4"]}
        ]

    spec = repo / "tenants" / f"{alpha}.yaml"
    spec.write_text(spec.read_text().replace("cores: 14", "cores: 16"))
    plan, shown = _plan(env, repo, alpha)
    assert plan is not None and "1 change(s)" in shown, shown
    assert f"set compute quotas of {alpha}: cores=16" in shown


def test_an_apply_killed_midway_converges_without_duplicates(tenants: Any, cloud: Any) -> None:
    repo, (alpha, _beta), env = tenants
    plan, shown = _plan(env, repo, alpha)
    assert plan is not None
    assert approve(env, plan, repo) == 0
    journal = Path(env["CLOUDOPS_STATE_DIR"])
    child = subprocess.Popen(
        [sys.executable, "-m", "cloudops", "--repo", str(repo), "apply", str(plan)],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # killed once the identity and quotas are done, in the networks
            text = "".join(p.read_text() for p in journal.rglob("*.jsonl"))
            if text.count('"change-done"') >= 9:
                break
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    # The re-run: resume the plan; where the kill fell inside a change (made in the cloud, not journaled),
    # the resume halts on its pre-audit and a new plan takes what is left. Either way: no duplicate.
    resumed = _cloudops(env, repo, "apply", str(plan))
    if resumed.returncode != 0:
        assert "pre-audit" in resumed.stdout + resumed.stderr, resumed.stdout + resumed.stderr
        _onboard(env, repo, alpha)
    again, shown = _plan(env, repo, alpha)
    assert again is None, shown
    project = cloud.identity.find_project(alpha, domain_id="default")
    assert len(list(cloud.network.networks(project_id=project.id))) == 1
    assert len(list(cloud.network.subnets(project_id=project.id))) == 1
    assert len(list(cloud.network.routers(project_id=project.id))) == 1


def test_a_pinned_cidr_on_another_tenants_subnet_is_refused_naming_both(tenants: Any, cloud: Any) -> None:
    repo, (alpha, beta), env = tenants
    _onboard(env, repo, alpha)
    project = cloud.identity.find_project(alpha, domain_id="default")
    (taken,) = [s.cidr for s in cloud.network.subnets(project_id=project.id)]
    (repo / "tenants" / f"{beta}.yaml").write_text(SPEC.format(name=beta, extra=f", cidr: {taken}"))
    out = _cloudops(env, repo, "tenant", "plan", beta)
    assert out.returncode != 0
    assert out.stderr.strip().endswith(
        f"tenants/{beta}.yaml: subnets[{beta}-v4].cidr: {taken} of tenant {beta} collides with tenant {alpha} "
        f"subnet {alpha}-v4 ({taken})"
    ), out.stderr
    assert cloud.identity.find_project(beta, domain_id="default", ignore_missing=True) is None


def test_offboarding_one_tenant_leaves_the_other_untouched(tenants: Any, cloud: Any) -> None:
    repo, (alpha, beta), env = tenants
    for name in (alpha, beta):
        _onboard(env, repo, name)
    a = cloud.identity.find_project(alpha, domain_id="default")
    external = cloud.network.find_network("lab-external")
    cloud.network.create_ip(floating_network_id=external.id, project_id=a.id)  # something it holds
    before = _holdings(cloud, beta)

    shown = _cloudops(env, repo, "tenant", "offboard", alpha, "-f", "json")  # read only
    assert shown.returncode == 0, shown.stderr
    inv = json.loads(shown.stdout)
    validate("tenant-offboard", inv)
    kinds = sorted(
        {(i["kind"], i["name"]) for i in inv["items"]} - {("floating_ip", i["name"]) for i in inv["items"]}
    )
    assert kinds == sorted([
        ("network", f"{alpha}-net"), ("project", alpha), ("router", f"{alpha}-gw"),
        ("security_group", f"{alpha}-web"), ("security_group", "default"), ("user", f"{alpha}-admin"),
        ("user", f"{alpha}-dev"),
    ])  # fmt: skip
    assert [i["kind"] for i in inv["items"]].count("floating_ip") == 1
    assert inv["not_checked"][0] == "Magnum clusters: no container-infra service in the catalog"
    # a project-scoped admin may not list another user's application credentials (Keystone's policy)
    assert all(n.startswith("application credentials of ") for n in inv["not_checked"][1:])
    assert inv["plan"] is None and cloud.identity.find_project(alpha, domain_id="default") is not None

    planned = _cloudops(env, repo, "tenant", "offboard", alpha, "--plan")
    assert planned.returncode == 0, planned.stderr
    plan = Path(re.search(r"^Plan written: (\S+) ", planned.stdout, re.M).group(1))  # type: ignore[union-attr]
    assert approve(env, plan, repo) == 0  # every item a destructive change, each confirmed by its id
    done = _cloudops(env, repo, "apply", str(plan))
    assert done.returncode == 0, done.stdout + done.stderr

    assert cloud.identity.find_project(alpha, domain_id="default", ignore_missing=True) is None
    assert not [u for u in cloud.identity.users() if u.name.startswith(f"{alpha}-")]
    assert not list(cloud.network.ips(project_id=a.id))
    assert not list(cloud.network.networks(project_id=a.id))
    assert _holdings(cloud, beta) == before  # resource by resource, with the same IDs


def _holdings(cloud: Any, name: str) -> dict[str, list[tuple[str, str]]]:
    p = cloud.identity.find_project(name, domain_id="default")
    return {
        "project": [(p.id, p.name)],
        "users": sorted((u.id, u.name) for u in cloud.identity.users() if u.name.startswith(f"{name}-")),
        "networks": sorted((n.id, n.name) for n in cloud.network.networks(project_id=p.id)),
        "subnets": sorted((s.id, s.cidr) for s in cloud.network.subnets(project_id=p.id)),
        "routers": sorted((r.id, r.name) for r in cloud.network.routers(project_id=p.id)),
        "ports": sorted((x.id, x.device_owner) for x in cloud.network.ports(project_id=p.id)),
        "groups": sorted((g.id, g.name) for g in cloud.network.security_groups(project_id=p.id)),
        "grants": sorted((a.user["name"], a.role["name"])
                         for a in cloud.identity.role_assignments(scope_project_id=p.id, include_names=True)),
    }  # fmt: skip


def test_with_a_netbox_each_block_is_reserved_first_and_released_at_offboarding(
    tenants: Any, cloud: Any, netbox: Any
) -> None:
    from cloudops.site.load import load_registry

    repo, (alpha, _beta), env = tenants
    env = {
        **env,
        "CLOUDOPS_NETBOX_URL": netbox.url,
        "CLOUDOPS_NETBOX_TOKEN_FILE": str(netbox.paths.token_file),
    }
    netbox.load(load_registry(EXAMPLES / "lab").require_valid(), "lab")  # a known NetBox
    api = netbox.api()
    api.ipam.prefixes.create(prefix="198.19.64.0/24", description="someone else's, in NetBox only")

    plan, shown = _plan(env, repo, alpha)
    assert plan is not None and "reserve 198.19." in shown, shown
    assert approve(env, plan, repo) == 0
    done = _cloudops(env, repo, "apply", str(plan))
    assert done.returncode == 0, done.stdout + done.stderr
    project = cloud.identity.find_project(alpha, domain_id="default")
    (subnet,) = list(cloud.network.subnets(project_id=project.id))
    assert subnet.cidr != "198.19.64.0/24"  # NetBox held it: never handed out
    (held,) = list(api.ipam.prefixes.filter(prefix=subnet.cidr))
    assert held.description == f"tenant {alpha} subnet {alpha}-v4" and held.role.name == "tenant"
    assert _plan(env, repo, alpha)[0] is None  # reserved and made: nothing left

    inv = json.loads(_cloudops(env, repo, "tenant", "offboard", alpha, "-f", "json").stdout)
    assert [i["name"] for i in inv["items"] if i["kind"] == "netbox_prefix"] == [subnet.cidr]
    planned = _cloudops(env, repo, "tenant", "offboard", alpha, "--plan")
    assert planned.returncode == 0, planned.stderr
    off = Path(re.search(r"^Plan written: (\S+) ", planned.stdout, re.M).group(1))  # type: ignore[union-attr]
    assert approve(env, off, repo) == 0
    gone = _cloudops(env, repo, "apply", str(off))
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert not list(api.ipam.prefixes.filter(prefix=subnet.cidr))  # released
    assert [p.description for p in api.ipam.prefixes.filter(prefix="198.19.64.0/24")] == [
        "someone else's, in NetBox only"
    ]  # another's reservation untouched


def test_plan_all_reads_the_cloud_once_and_gives_each_new_tenant_its_own_block(
    tenants: Any, cloud: Any
) -> None:
    repo, (alpha, beta), env = tenants
    _onboard(env, repo, alpha)
    out = _cloudops(env, repo, "tenant", "plan", "--all")
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"tenant {alpha}: the cloud holds it as tenants/{alpha}.yaml says; nothing to do" in out.stdout
    (path,) = re.findall(rf"^Plan written: (\S+) \(tenant {beta}, 14 change\(s\)\)$", out.stdout, re.M)
    beta_cidr = next(
        c["action"]["args"]["cidr"] for c in json.loads(Path(path).read_text())["changes"]
        if c["action"].get("action") == "create_subnet"
    )  # fmt: skip
    (alpha_sub,) = list(cloud.network.subnets(name=f"{alpha}-v4"))
    assert not IPv4Network(beta_cidr).overlaps(IPv4Network(alpha_sub.cidr))

    from cloudops.tenants import observe as reading

    gamma = beta.replace("beta", "gamma")  # two new tenants planned in one run: two distinct blocks
    (repo / "tenants" / f"{gamma}.yaml").write_text(SPEC.format(name=gamma, extra=""))
    out = _cloudops(env, repo, "tenant", "plan", beta, gamma)
    assert out.returncode == 0, out.stdout + out.stderr
    blocks = []
    for found in re.findall(r"^Plan written: (\S+) \(tenant", out.stdout, re.M):
        changes = json.loads(Path(found).read_text())["changes"]
        blocks += [
            c["action"]["args"]["cidr"] for c in changes if c["action"].get("action") == "create_subnet"
        ]
    assert len(blocks) == 2 and not IPv4Network(blocks[0]).overlaps(IPv4Network(blocks[1]))
    shared = reading.observe_many(cloud, [(alpha, "Default"), (beta, "Default"), (gamma, "Default")])
    assert shared[alpha] == reading.observe(cloud, alpha, "Default")  # the shared reading is the faithful one
    assert shared[beta].project is None and alpha_sub.cidr in shared[beta].others
