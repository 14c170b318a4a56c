"""A large, valid site registry for the scaling benchmarks (issue #24): examples/roosevelt's shape, scaled.

Each datacenter DCk has the roosevelt planes (oam, internal, public, storage, storage-cluster, overlay,
provider, bmc), each a /20 inside its own /17 of 10.0.0.0/8, 40 racks, its DNS and NTP in the oam plane's
infrastructure range, and roosevelt's service VIPs. Its first hosts are roosevelt's own (3 controllers,
27 compute, 12 storage: the bundle places machines on them by name), then compute and storage hosts up
to 7,600 per scale unit across at least three datacenters. The result lints clean. Every host is written into one file
(site/hosts.yaml), as the issue measured it: about 3.1 MB per 7,600 hosts (``--scale 1``), 50 MB at
``--scale 16``. The rest of the repository (bundle, lock, records, runbooks) is roosevelt's.

    .venv/bin/python benchmarks/gen_registry.py --scale 16 --out /tmp/reg16
"""

from __future__ import annotations

import argparse
import ipaddress
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOSTS_PER_DC = 3800  # a /20 plane holds them past its first /24 (infrastructure and VIPs)
DCS_PER_SCALE = 2
# (name, purpose, vlan, mtu, gateway?, pool name)
PLANES = [
    ("oam", "oam", 100, 1500, True, "hosts"),
    ("internal", "internal", 101, 1500, False, "hosts"),
    ("public", "public", 102, 1500, True, "hosts"),
    ("storage", "storage", 103, 9000, False, "hosts"),
    ("storage-cluster", "storage-cluster", 104, 9000, False, "hosts"),
    ("overlay", "overlay", 105, 9000, False, "hosts"),
    ("provider", "provider", 106, 1500, True, "floating"),
    ("bmc", "bmc", 109, 1500, True, "hosts"),
]
ROLE_PLANES = {
    "controller": [
        ("oam", "bond0"),
        ("internal", "bond0.101"),
        ("public", "bond0.102"),
        ("storage", "bond0.103"),
    ],
    "compute": [
        ("oam", "bond0"),
        ("internal", "bond0.101"),
        ("overlay", "bond1.105"),
        ("storage", "bond1.103"),
    ],
    "storage": [("oam", "bond0"), ("storage", "bond0.103"), ("storage-cluster", "bond1.104")],
}
ROLE_PREFIX = {"controller": "ctl", "compute": "cmp", "storage": "stor"}
HARDWARE = {
    "controller": "{model: PowerEdge R660, cpus: 64, memory_gb: 512}",
    "compute": "{model: PowerEdge R760, cpus: 128, memory_gb: 1024}",
    "storage": "{model: PowerEdge R760xd2, cpus: 32, memory_gb: 384}",
}
VIP_SERVICES = ["keystone", "glance", "nova", "placement", "neutron", "cinder", "horizon", "vault", "octavia"]


def plane_base(dc: int, plane: int) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address("10.0.0.0") + ((dc - 1) << 17) + (plane << 12)


def at(base: ipaddress.IPv4Address, offset: int) -> str:
    return str(base + offset)


def generate(out: Path, scale: int, hosts_per_dc: int = HOSTS_PER_DC) -> dict[str, int]:
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(ROOT / "examples" / "roosevelt", out, ignore=shutil.ignore_patterns("hosts-dc*.yaml"))
    site = out / "site"
    # roosevelt's three datacenters at least (its bundle names hosts in each); the hosts of a scale unit
    # spread over them, so that the file grows with the scale alone
    dcs = max(3, DCS_PER_SCALE * scale)
    hosts_per_dc = min(hosts_per_dc, hosts_per_dc * DCS_PER_SCALE * scale // dcs)
    index = {name: i for i, (name, *_rest) in enumerate(PLANES)}
    with (site / "datacenters.yaml").open("w") as fh:
        fh.write(f"# {dcs} generated datacenters (benchmarks/gen_registry.py)\ndatacenters:\n")
        for dc in range(1, dcs + 1):
            oam = plane_base(dc, 0)
            fh.write(
                f"  - name: DC{dc}\n    region: RV\n    racks: [{', '.join(f'r{r:02d}' for r in range(1, 41))}]\n"
                f"    dns: [{at(oam, 2)}, {at(oam, 3)}]\n    ntp: [{at(oam, 4)}, {at(oam, 5)}]\n"
            )
        roles = (ROOT / "examples" / "roosevelt" / "site" / "datacenters.yaml").read_text()
        fh.write("\n" + roles[roles.index("roles:") :])
    with (site / "planes.yaml").open("w") as fh:
        fh.write("planes:\n")
        for dc in range(1, dcs + 1):
            for p, (name, purpose, vlan, mtu, gateway, pool) in enumerate(PLANES):
                base = plane_base(dc, p)
                fh.write(
                    f"  - name: {name}\n    dc: DC{dc}\n    purpose: {purpose}\n    cidr: {base}/20\n"
                    f"    vlan: {vlan}\n    mtu: {mtu}\n"
                    + (f"    gateway: {at(base, 1)}\n" if gateway else "")
                    + f"    reserved:\n      - {{start: {at(base, 1)}, end: {at(base, 19)}, reason: infrastructure}}\n"
                    f"      - {{start: {at(base, 200)}, end: {at(base, 239)}, reason: service VIPs}}\n"
                    f"    pools:\n      - {{name: {pool}, start: {at(base, 257)}, end: {at(base, 4090)}}}\n"
                )
    with (site / "vips.yaml").open("w") as fh:
        fh.write("vips:\n")
        for dc in range(1, dcs + 1):
            for j, svc in enumerate(VIP_SERVICES):
                for plane in ("internal", "public"):
                    addr = at(plane_base(dc, index[plane]), 200 + j)
                    fh.write(f"  - {{name: {svc}-{plane}, dc: DC{dc}, plane: {plane}, address: {addr}}}\n")
    hosts = 0
    with (site / "hosts.yaml").open("w") as fh:
        fh.write(f"# {dcs * hosts_per_dc} generated hosts (benchmarks/gen_registry.py)\nhosts:\n")
        for dc in range(1, dcs + 1):
            count: dict[str, int] = {}
            for i in range(1, hosts_per_dc + 1):
                # roosevelt's own hosts first (its bundle places machines on them by name), then more
                role = (
                    "controller"
                    if i <= 3
                    else "compute"
                    if i <= 30
                    else "storage"
                    if i <= 42
                    else ("storage" if i % 3 == 0 else "compute")
                )
                count[role] = count.get(role, 0) + 1
                name = f"dc{dc}-{ROLE_PREFIX[role]}-{count[role]:02d}"
                ifaces = "".join(
                    f"      - {{plane: {plane}, name: {nic}, address: {at(plane_base(dc, index[plane]), 256 + i)}}}\n"
                    for plane, nic in ROLE_PLANES[role]
                )
                fh.write(
                    f"  - hostname: {name}\n    dc: DC{dc}\n    rack: r{(i - 1) % 40 + 1:02d}\n    roles: [{role}]\n"
                    f"    bmc: {at(plane_base(dc, index['bmc']), 256 + i)}\n    interfaces:\n{ifaces}"
                    f"    hardware: {HARDWARE[role]}\n"
                )
                hosts += 1
    return {"datacenters": dcs, "hosts": hosts, "bytes": (site / "hosts.yaml").stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=1, help="1 = ~3.1 MB of hosts; 16 = ~50 MB")
    parser.add_argument("--out", type=Path, required=True, help="The ops repository to write (replaced).")
    parser.add_argument(
        "--hosts-per-dc",
        type=int,
        default=HOSTS_PER_DC,
        help=f"Hosts in each datacenter (at most {HOSTS_PER_DC}).",
    )
    args = parser.parse_args()
    if not 63 <= args.hosts_per_dc <= HOSTS_PER_DC:  # 42 per DC are roosevelt's own, named by its bundle
        parser.error(f"--hosts-per-dc must be between 63 and {HOSTS_PER_DC}")
    facts = generate(args.out, args.scale, args.hosts_per_dc)
    print(
        f"{args.out}: {facts['datacenters']} datacenters, {facts['hosts']} hosts, hosts.yaml {facts['bytes'] / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
