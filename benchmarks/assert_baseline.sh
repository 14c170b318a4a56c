#!/usr/bin/env bash
# The baseline `cloudops assert` is measured against (issue #8): the same API checks done the way a shell
# script does them, with sequential `openstack ... -f json` CLI calls (each a new Python process and a
# new token) and one curl per version document.
#   OS_CLOUD=lab-admin OS_CLIENT_CONFIG_FILE=<lab>/clouds.yaml [CEPH_CONF=<lab>/ceph/ceph.conf] \
#     benchmarks/assert_baseline.sh
# Prints each call's time and the total; exit 0 when every call answered.
set -uo pipefail
OPENSTACK=${OPENSTACK:-openstack}
command -v "$OPENSTACK" >/dev/null || {
  echo "assert_baseline: no openstack CLI (pip install python-openstackclient osc-placement)" >&2
  exit 2
}
failed=0
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
call() {
  local t0 t1 status=ok
  t0=$(now)
  "$@" >/dev/null 2>&1 || { status=FAILED; failed=1; }
  t1=$(now)
  printf '%6sms  %-7s %s\n' "$(ms "$t0" "$t1")" "$status" "$*"
}
version_doc() {  # 200 or 300 is an answer
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$1")
  [ "$code" = 200 ] || [ "$code" = 300 ]
}
start=$(now)
call "$OPENSTACK" token issue -f json
roots=$("$OPENSTACK" endpoint list -f value -c URL 2>/dev/null | sed -E 's#^(https?://[^/]+(/[^/]+)*?)/v[0-9.]+(/.*)?$#\1/#' | sort -u)
for url in $roots; do
  call version_doc "$url"
done
call "$OPENSTACK" compute service list -f json
call "$OPENSTACK" hypervisor list --long -f json
call "$OPENSTACK" network agent list -f json
call "$OPENSTACK" volume service list -f json
call "$OPENSTACK" resource provider list -f json
if [ -n "${CEPH_CONF:-}" ]; then  # the data layer's Ceph checks, as assert does them
  call timeout 10 ceph -c "$CEPH_CONF" health detail -f json
  call timeout 10 rados -c "$CEPH_CONF" -p volumes ls
  call timeout 10 ceph -c "$CEPH_CONF" versions -f json
fi
end=$(now)
echo "baseline wall time: $(ms "$start" "$end")ms"
exit $failed
