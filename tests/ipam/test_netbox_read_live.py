"""NetBox read by GraphQL (one request) against the faithful REST read (five list calls), on a real NetBox
(tests/netbox_fixture.py): the same Snapshot for roosevelt's registry (126 hosts, VLANs, VIPs), and for
testcloud's after one defect of each kind made through NetBox's own API."""

from __future__ import annotations

from typing import Any

import pytest

from cloudops.ipam import compare, read
from cloudops.site.load import load_registry
from tests.conftest import EXAMPLES
from tests.ipam.test_netbox_diff_live import _four_defects

pytestmark = [pytest.mark.live, pytest.mark.slow]


def _both(netbox: Any, site: str) -> tuple[Any, Any]:
    want = compare.desired(EXAMPLES / site, site)
    nb = read.api(read.NetBoxTarget(netbox.url, netbox.token))
    hosts, nets = list(want.devices), [str(c) for c in want.prefixes]
    return read.fetch_rest(nb, hosts, nets), read.fetch_graphql(nb, hosts, nets)


def test_graphql_reads_what_rest_reads_on_roosevelt(netbox: Any) -> None:
    netbox.load(load_registry(EXAMPLES / "roosevelt").require_valid(), "roosevelt")
    rest, graphql = _both(netbox, "roosevelt")
    assert len(rest.devices) == 126 and rest.ips  # a real read, not two empty ones
    assert graphql == rest


def test_graphql_reads_what_rest_reads_after_each_kind_of_defect(netbox: Any) -> None:
    netbox.load(load_registry(EXAMPLES / "testcloud").require_valid(), "testcloud")
    _four_defects(netbox.api())
    rest, graphql = _both(netbox, "testcloud")
    assert graphql == rest
    assert [d.line for d in compare.diff(compare.desired(EXAMPLES / "testcloud", "testcloud"), graphql)]
