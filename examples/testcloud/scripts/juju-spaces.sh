#!/usr/bin/env bash
# Print the `juju add-space` commands that create one space per registry plane (D-003: a space is
# a plane of the same name), with every datacenter's CIDR of that plane. Prints; changes nothing.
# Usage: scripts/juju-spaces.sh [OPS_REPO]   (default: the repository this script lives in)
set -euo pipefail

repo="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
cloudops="${CLOUDOPS:-cloudops}"

"${cloudops}" --repo "${repo}" net planes -f json | python3 -c '
import json, sys
spaces = {}
for plane in json.load(sys.stdin):
    if plane["purpose"] in ("bmc", "provider"):
        continue  # not a Juju space: out-of-band, and tenant floating addresses
    spaces.setdefault(plane["plane"], []).append(plane["cidr"])
for name, cidrs in spaces.items():
    print("juju add-space " + name + " " + " ".join(cidrs))
'
