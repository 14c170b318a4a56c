"""The companions, worked through one Lab, return plain rows: what `lab up --hosts`, `lab status`, `lab env`,
`lab fault`/`heal` show."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudops.errors import InputError
from cloudops.lab import companions, netns
from cloudops.lab.context import Lab
from cloudops.lab.layout import LabLayout
from tests.conftest import skip_or_fail


def test_the_glue_brings_hosts_up_shows_faults_and_tears_down(tmp_path: Path) -> None:
    if netns.namespaces_unavailable():
        assert companions.hosts_up(Lab(LabLayout(tmp_path)), 2) == [netns.namespaces_unavailable()]
        return
    labdir = tmp_path / "lab"
    lab = Lab(LabLayout(labdir))
    try:
        # the default plane (198.18.10.0/24) is a real lab's: use a registry-free private plane instead
        from ipaddress import IPv4Network

        from cloudops.lab.sshd import HostLab

        HostLab(labdir, planes=[netns.PlaneSpec("oam", IPv4Network("198.19.253.0/24"))]).up(2)
        rows = companions.hosts_status(lab)
        assert [(r["component"], r["state"], r["address"]) for r in rows] == [
            ("host kvm-01", "up", "198.19.253.11"),
            ("host kvm-02", "up", "198.19.253.12"),
            ("dns", "up", "198.19.253.1"),  # the site's resolver and time server, on the oam bridge
            ("ntp", "up", "198.19.253.1"),
        ]
        assert all(isinstance(r["pid"], int) for r in rows)
        env = companions.env(lab)
        assert env["CLOUDOPS_LAB_SSH_CONFIG"] == str(labdir / "hosts" / "ssh_config")
        applied = companions.fault(lab, "sshd", ["kvm-02"])
        assert (applied["fault"], applied["target"]) == ("sshd", "kvm-02")
        assert [(f["fault"], f["target"]) for f in companions.faults_status(lab)] == [("sshd", "kvm-02")]
        assert [r["state"] for r in companions.hosts_status(lab)] == ["up", "no-ssh", "up", "up"]
        assert companions.heal(lab, None, ()) == [{"healed": "sshd", "target": "kvm-02"}]
        assert companions.faults_status(lab) == []
        assert companions.netbox_status(lab) == []
    finally:
        removed = companions.hosts_down(lab)
    assert len(removed) >= 2
    assert netns.leftovers(labdir) == []
    with pytest.raises(InputError, match="KIND before its TARGET"):
        companions.heal(lab, None, ["kvm-01"])


def test_a_lab_made_before_one_layout_keeps_its_hosts_where_they_are(tmp_path: Path) -> None:
    """A lab whose hosts live in `nshosts/` (made before the lab had one directory layout) is still
    worked through the one Lab: its hosts are found, shown and taken down where they are."""
    if netns.namespaces_unavailable():
        skip_or_fail(netns.namespaces_unavailable() or "")
    from ipaddress import IPv4Network

    from cloudops.lab import procs
    from cloudops.lab.sshd import HostLab

    root = tmp_path / "lab"
    legacy = root / "nshosts"
    lab = Lab(LabLayout(root))
    try:
        HostLab(legacy, planes=[netns.PlaneSpec("oam", IPv4Network("198.19.252.0/24"))]).up(1)
        assert lab.layout.hosts_dir == legacy and lab.hosts.labdir == legacy
        rows = companions.hosts_status(lab)
        assert [(r["component"], r["state"]) for r in rows][:1] == [("host kvm-01", "up")]
        assert procs.supervisor(legacy).alive("sshd-kvm-01")  # its records stay in its own tree
        assert not (root / "run").exists()
    finally:
        removed = companions.hosts_gone(lab)
    assert removed and netns.leftovers(legacy) == []
    assert companions.hosts_status(lab) == []
