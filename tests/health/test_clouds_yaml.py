"""clouds.yaml read without openstacksdk (probes.clouds): the same files in the same order, the same auth
as openstacksdk's own reading, and every cloud it cannot read faithfully handed back (None)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudops.probes.clouds import find_cloud, plain_cloud

CLOUDS = """\
clouds:
  ops:
    region_name: RegionOne
    identity_api_version: 3
    interface: public
    auth:
      auth_url: https://keystone.example:5000/v3
      username: ops
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.example:5000/v3
      application_credential_id: 0123
      application_credential_secret: s3cret-appcred
  vendor:
    profile: vexxhost
    auth: {username: x, password: y}
  tokened:
    auth_type: token
    auth: {auth_url: https://keystone.example:5000/v3, token: abc}
"""
SECURE = "clouds:\n  ops:\n    auth:\n      password: from-secure-yaml\n"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "clouds.yaml").write_text(CLOUDS)
    (tmp_path / "secure.yaml").write_text(SECURE)
    return {
        "OS_CLIENT_CONFIG_FILE": str(tmp_path / "clouds.yaml"),
        "OS_CLIENT_SECURE_FILE": str(tmp_path / "secure.yaml"),
    }


def test_a_plain_cloud_is_read_with_its_secure_password_merged(files: dict[str, str]) -> None:
    cloud = find_cloud("ops", files)
    assert cloud is not None
    assert (cloud.auth_type, cloud.region, cloud.verify, cloud.source) == (
        "password", "RegionOne", True, files["OS_CLIENT_CONFIG_FILE"],
    )  # fmt: skip
    assert cloud.auth["password"] == "from-secure-yaml"
    assert "from-secure-yaml" not in repr(cloud)  # the password is never printed
    named_by_env = find_cloud(None, {**files, "OS_CLOUD": "appcred"})
    assert named_by_env is not None and named_by_env.auth_type == "v3applicationcredential"


@pytest.mark.parametrize("name", ["vendor", "tokened", "missing"])
def test_what_only_openstacksdk_reads_faithfully_is_handed_back(files: dict[str, str], name: str) -> None:
    assert find_cloud(name, files) is None


def test_no_cloud_named_is_handed_back(files: dict[str, str]) -> None:
    assert find_cloud(None, files) is None  # openstacksdk's own defaulting (a single cloud, env vars)


def test_tls_settings_become_the_sessions_verify() -> None:
    auth = {"auth_url": "https://k/v3", "username": "u", "password": "p"}
    insecure = plain_cloud("c", {"auth": auth, "verify": False}, "f")
    with_ca = plain_cloud("c", {"auth": auth, "cacert": "/etc/ssl/site-ca.pem"}, "f")
    assert insecure is not None and insecure.verify is False
    assert with_ca is not None and with_ca.verify == "/etc/ssl/site-ca.pem"


@pytest.mark.parametrize("name", ["ops", "appcred"])
def test_it_agrees_with_openstacksdk_reading_the_same_files(files: dict[str, str], name: str) -> None:
    from openstack import config

    theirs = config.OpenStackConfig(
        config_files=[files["OS_CLIENT_CONFIG_FILE"]], secure_files=[files["OS_CLIENT_SECURE_FILE"]]
    ).get_one(name)
    ours = find_cloud(name, files)
    assert ours is not None
    assert dict(ours.auth) == {k: str(v) for k, v in theirs.auth.items()}
    assert ours.region == (theirs.region_name or None)
