#!/usr/bin/env bash
# Harness of scripts/juju-spaces.sh: runs it against this repository and checks every space it prints
# against the registry's planes. Exit 0 when every check passes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
cloudops="${CLOUDOPS:-cloudops}"
out="$("${repo}/scripts/juju-spaces.sh" "${repo}")"

fail=0
check() {
    if grep -q -- "$1" <<<"${out}"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi
}
for space in oam internal public storage storage-cluster overlay; do
    check "juju add-space ${space} "
done
if grep -q -- "add-space bmc" <<<"${out}"; then echo "FAIL: bmc is no space"; fail=1; fi
# every CIDR printed is a plane of the registry
while read -r cidr; do
    if "${cloudops}" --repo "${repo}" net whois "${cidr%/*}" >/dev/null; then
        echo "ok: ${cidr} is known"
    else
        echo "FAIL: ${cidr} unknown"; fail=1
    fi
done < <(grep -o '[0-9.]*/[0-9]*' <<<"${out}")
exit "${fail}"
