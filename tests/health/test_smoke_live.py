"""The tenant smoke test end to end on the real lab (markers: live, slow): `cloudops assert --smoke`
writes the plan and its revert, a person approves at a real pty, `cloudops apply` creates the network,
subnet and volume and boots a server (Nova's fake driver) as the lab's tenant (openstacksdk, no openstack CLI), a later `cloudops assert` shows
layer 6 PASS from the gate's journal; then the revert plan deletes all four through the same gate and
the lab is read to show they are gone. Whatever the test created is deleted at the end, even on failure.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudops.lab.identity import MEMBER_CLOUD
from tests.change.conftest import GateSite

pytestmark = [pytest.mark.live, pytest.mark.slow]

TENANT = MEMBER_CLOUD  # the lab's tenant: lab-member in project lab-demo


@pytest.fixture
def smoke_site(lab_up: Any, tmp_path: Path) -> Iterator[tuple[GateSite, Any]]:
    from cloudops.lab.identity import connect

    root = Path(lab_up.layout.root)
    clouds = root / "clouds.yaml"
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "cloudops.yaml").write_text("format: 1\nsite:\n  name: smokelive\n  phase: lab\n")
    (tmp_path / "targets.yaml").write_text("cloud: lab-admin\ntimeout: 20\n")  # APIs and agents only
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "OS_"))},
        "CLOUDOPS_STATE_DIR": str(tmp_path / "state"),
        "CLOUDOPS_REPO": str(repo),
        "OS_CLIENT_CONFIG_FILE": str(clouds),
        "TERM": "dumb",
    }
    site = GateSite(tmp_path, repo, tmp_path / "state", tmp_path, env)
    tenant = connect(lab_up, TENANT)
    try:
        yield site, tenant
    finally:  # delete whatever the smoke plan made, whether the test got to its revert or not
        for plan in (site.state / "smokelive" / "plans").glob("*-smoke.json"):
            base = "cloudops-smoke-" + plan.name.removesuffix("-smoke.json").lower()
            for delete, name in (
                (lambda n: tenant.delete_server(n, wait=True, timeout=300), base),
                (lambda n: tenant.delete_volume(n, wait=True, timeout=180), base),
                (tenant.delete_subnet, f"{base}-v4"),
                (tenant.delete_network, base),
            ):
                try:
                    delete(name)
                except Exception as exc:  # report, go on deleting the rest
                    print(f"cleanup of {name}: {exc}")
        tenant.close()


def smoke_layer(site: GateSite, *extra: str) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    out = site.cli("assert", "--targets", str(site.root / "targets.yaml"), "-f", "json", *extra, timeout=180)
    assert "Traceback" not in out.stderr, out.stderr
    doc = json.loads(out.stdout)
    layer = next(x for x in doc["layers"] if x["layer"] == "smoke")
    return layer, [f for f in doc["findings"] if f["layer"] == "smoke"], out.stderr


def test_smoke_plan_approved_applied_reported_and_reverted_on_the_lab(
    smoke_site: tuple[GateSite, Any],
) -> None:
    site, tenant = smoke_site
    layer, findings, stderr = smoke_layer(
        site, "--smoke", "--smoke-cloud", TENANT, "--smoke-server", "lab-image,lab.tiny"
    )
    (plan,) = (site.state / "smokelive" / "plans").glob("*-smoke.json")
    undo = plan.with_name(plan.name.replace("-smoke.json", "-smoke-revert.json"))
    assert f"smoke plan written: {plan}" in stderr and undo.is_file()
    assert (layer["verdict"], findings) == ("NOT_CHECKED", [])
    name = "cloudops-smoke-" + plan.name.removesuffix("-smoke.json").lower()
    assert tenant.get_network(name) is None  # writing the plan created nothing

    status, transcript = site.approve(plan)
    assert status == 0, transcript
    started = time.monotonic()
    applied = site.cli("apply", str(plan), "-f", "json", timeout=600)
    took = time.monotonic() - started
    report = json.loads(applied.stdout)
    assert report["ok"] is True, (report, applied.stderr)
    assert report["done"] == ["smoke-network", "smoke-subnet", "smoke-volume", "smoke-server"]
    print(f"smoke apply on the lab: {took:.1f}s")
    # The lab, read directly as the tenant: the gate made what it says it made.
    assert tenant.get_network(name).status == "ACTIVE"
    assert tenant.get_subnet(f"{name}-v4").cidr == "198.18.250.0/24"
    volume = tenant.get_volume(name)
    assert (volume.size, volume.status) == (1, "available")
    server = tenant.get_server(name)
    assert server.status == "ACTIVE" and list(server.addresses) == [name]  # booted on the smoke network

    layer, findings, _ = smoke_layer(site)
    assert layer["verdict"] == "PASS", findings
    assert sorted((f["check"], f["verdict"], f["subject"]) for f in findings) == [
        ("smoke.network", "PASS", f"network {name}"),
        ("smoke.server", "PASS", f"server {name}"),
        ("smoke.subnet", "PASS", f"subnet {name}-v4"),
        ("smoke.volume", "PASS", f"volume {name}"),
    ]
    (volume_finding,) = [f for f in findings if f["check"] == "smoke.volume"]
    assert volume_finding["message"].endswith(
        f'{{"name":"{name}","size":1,"status":"available"}}; not reverted yet'
    )
    assert all(f["evidence"]["reverted"] is None for f in findings)

    status, transcript = site.approve(undo)  # destructive: each change confirmed by typing its id
    assert status == 0, transcript
    assert transcript.count(" is destructive: deletes the smoke test") == 4
    reverted = json.loads(site.cli("apply", str(undo), "-f", "json", timeout=600).stdout)
    assert reverted["ok"] is True, reverted
    assert (tenant.get_volume(name), tenant.get_subnet(f"{name}-v4"), tenant.get_network(name)) == (
        None,
        None,
        None,
    )

    layer, findings, _ = smoke_layer(site)
    assert layer["verdict"] == "PASS"
    assert all(f["evidence"]["reverted"] and "; reverted at " in f["message"] for f in findings), findings
