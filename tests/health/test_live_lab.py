"""`cloudops assert` on the real lab (marker: live).

The ``lab`` fixture takes the lab the session brings up (``lab_up``): its clouds.yaml and Ceph conf. The
fault matrix is in test_live_faults.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.live


@dataclass(frozen=True)
class LabTargets:
    root: Path
    clouds_yaml: Path
    cloud: str
    ceph_conf: Path | None

    def targets(self, tmp: Path) -> Path:
        lines = [f"cloud: {self.cloud}", "timeout: 20"]  # generous: the lab shares two cores
        if self.ceph_conf:
            lines.append(f"ceph: {{conf: {self.ceph_conf}, user: admin, pool: volumes}}")
        path = tmp / "targets.yaml"
        path.write_text("\n".join(lines) + "\n")
        return path


@pytest.fixture(scope="module")
def lab(lab_up: Any) -> LabTargets:
    root = Path(lab_up.layout.root)
    conf = root / "ceph" / "ceph.conf"
    return LabTargets(root, root / "clouds.yaml", "lab-admin", conf if conf.is_file() else None)


def sweep(lab: LabTargets, tmp: Path, *extra: str, clouds: Path | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds or lab.clouds_yaml)}
    env.pop("OS_CLOUD", None)
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "assert", "--targets", str(lab.targets(tmp)), "-f", "json", *extra],
        capture_output=True, text=True, env=env, cwd=tmp, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert "Traceback" not in out.stderr, out.stderr
    return out.returncode, json.loads(out.stdout)


def test_healthy_lab_passes_every_applicable_layer(lab: LabTargets, tmp_path: Path) -> None:
    rc, report = sweep(lab, tmp_path)
    bad = [f for f in report["findings"] if f["verdict"] != "PASS"]
    assert (rc, bad) == (0, [])
    layers = {x["layer"]: x["verdict"] for x in report["layers"]}
    assert layers["apis"] == layers["agents"] == "PASS"
    assert layers["deployment"] == "NOT_APPLICABLE"  # the lab has no Juju
    checks = {f["check"] for f in report["findings"]}
    assert {"apis.keystone-token", "apis.endpoint", "agents.nova-service", "agents.neutron-agent",
            "agents.cinder-service", "agents.hypervisor", "agents.placement-rp"} <= checks  # fmt: skip
    if lab.ceph_conf:
        assert {"data.ceph-health", "data.ceph-io"} <= checks


def test_api_requests_do_not_grow_with_agents(lab: LabTargets, tmp_path: Path) -> None:
    _, report = sweep(lab, tmp_path)
    roots = {f["evidence"]["call"] for f in report["findings"] if f["check"] == "apis.endpoint"}
    agents = [f for f in report["findings"] if f["layer"] == "agents"]
    # the token, one version document per service root, five list calls: however many agents answer
    assert report["api_requests"] == 1 + len(roots) + 5
    assert len(agents) > 5


def test_the_request_count_is_every_request_that_went_out(
    lab: LabTargets, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An observer below every HTTP client here (the standard library's connection, which urllib3's
    # subclasses) sees what really went out.
    import http.client

    from cloudops.health import assemble
    from cloudops.health import targets as targets_mod

    sent: list[str] = []
    original = http.client.HTTPConnection.putrequest

    def observed(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(f"{method} {self.port} {url}")
        return original(self, method, url, *args, **kwargs)

    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(lab.clouds_yaml))
    monkeypatch.setattr(http.client.HTTPConnection, "putrequest", observed)
    report, _ = assemble.run(assemble.Inputs(targets=targets_mod.load(lab.targets(tmp_path))))
    assert report.verdict.name == "PASS"
    assert report.api_requests == len(sent)
    assert sum(s.startswith("POST ") for s in sent) == 1  # one token


def test_a_cloud_only_openstacksdk_reads_gives_the_same_sweep(lab: LabTargets, tmp_path: Path) -> None:
    # `regions:` is beyond probes.clouds' plain reading: openstacksdk reads this clouds.yaml itself.
    doc = json.loads(lab.clouds_yaml.read_text().split("\n", 1)[1])
    entry = doc["clouds"][lab.cloud]
    entry["regions"] = [entry.pop("region_name")]
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(json.dumps(doc))
    from cloudops.probes.clouds import find_cloud

    assert find_cloud(lab.cloud, {"OS_CLIENT_CONFIG_FILE": str(clouds)}) is None
    assert find_cloud(lab.cloud, {"OS_CLIENT_CONFIG_FILE": str(lab.clouds_yaml)}) is not None
    rc_sdk, by_sdk = sweep(lab, tmp_path, clouds=clouds)
    rc_plain, plain = sweep(lab, tmp_path)
    assert rc_sdk == rc_plain == 0
    checks = sorted(
        (f["check"], f["component"], f["verdict"]) for f in plain["findings"] if f["layer"] == "agents"
    )
    assert (
        sorted(
            (f["check"], f["component"], f["verdict"]) for f in by_sdk["findings"] if f["layer"] == "agents"
        )
        == checks
    )
    # keystoneauth's generic plugin first asks the /v3 root which version it is: one request more
    assert by_sdk["api_requests"] == plain["api_requests"] + 1


def test_the_labs_own_targets_need_no_exported_environment(lab: LabTargets, tmp_path: Path) -> None:
    # `cloudops lab up` writes clouds_yaml into its targets: assert then works without `lab env`.
    targets = lab.root / "targets.yaml"
    assert f"clouds_yaml: {lab.clouds_yaml}" in targets.read_text().splitlines()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "CLOUDOPS_TARGETS"))}
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "assert", "--targets", str(targets), "-f", "json"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    report = json.loads(out.stdout)
    apis = [f for f in report["findings"] if f["layer"] == "apis"]
    assert apis and all(f["verdict"] == "PASS" for f in apis), apis


def test_the_plain_session_reads_the_lab_as_keystoneauth_does(lab: LabTargets) -> None:
    # The same real Keystone through both clients: the same catalog, the same endpoint for every list the
    # sweep makes, the same rows; and a wrong password refused by both.
    import dataclasses

    from keystoneauth1 import exceptions

    from cloudops.probes import keystone_session as ks
    from cloudops.probes import openstack as os_probe
    from cloudops.probes.clouds import find_cloud, session

    cloud = find_cloud(lab.cloud, {"OS_CLIENT_CONFIG_FILE": str(lab.clouds_yaml)})
    assert cloud is not None and ks.handles(cloud, {})
    theirs = session(cloud, timeout=20)
    theirs.get_token()
    raw = list(theirs.auth.get_access(theirs).service_catalog.catalog)
    ours = ks.PlainSession(cloud, 20.0)
    assert os_probe.parse_catalog(ours.issue_token()) == os_probe.parse_catalog(raw)
    for what, (service, path, key) in os_probe.LISTS.items():
        filt = {"service_type": "block-storage" if service == "volume" else service, "interface": "public",
                "region_name": cloud.region or ""}  # fmt: skip
        assert ks.choose_endpoint(ours.catalog, filt["service_type"], "public", cloud.region) == (
            theirs.get_endpoint(**filt)
        ), what
        a, b = ours.get(path, endpoint_filter=filt), theirs.get(path, endpoint_filter=filt, raise_exc=False)
        assert a.status_code == b.status_code == 200, what
        ids = [sorted(str(r.get("id") or r.get("uuid")) for r in resp.json()[key]) for resp in (a, b)]
        assert ids[0] == ids[1] and ids[0], what
    wrong = dataclasses.replace(cloud, auth={**cloud.auth, "password": "not-the-password"})
    with pytest.raises(exceptions.Unauthorized):
        session(wrong, timeout=20).get_token()
    with pytest.raises(
        ks.TokenRefused,
        match=r"(?i)^HTTP 401 Unauthorized: The request you have made requires authentication\.$",
    ):
        ks.PlainSession(wrong, 20.0).issue_token()
