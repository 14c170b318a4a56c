"""The targets file's ``magnum`` entry: parsed into a MagnumTarget, bad values named by field."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudops.errors import InputError
from cloudops.health.targets import load


def _load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "targets.yaml"
    path.write_text(text)
    return load(path)


def test_magnum_entry_parsed(tmp_path: Path) -> None:
    t = _load(
        tmp_path,
        "cloud: c\ntimeout: 3\nmagnum: {management_api: https://127.0.0.1:6443, ca_file: ~/ca.pem,"
        " stuck_after_minutes: 90}\n",
    )
    assert t.magnum is not None
    assert t.magnum.management_api == "https://127.0.0.1:6443"
    assert t.magnum.ca_file == str(Path("~/ca.pem").expanduser())
    assert t.magnum.stuck_after_minutes == 90.0
    assert t.magnum.timeout == 3.0
    assert t.magnum.insecure is False


def test_no_magnum_entry(tmp_path: Path) -> None:
    assert _load(tmp_path, "cloud: c\n").magnum is None


@pytest.mark.parametrize(
    ("entry", "field", "words"),
    [
        ("{management_api: http://127.0.0.1:6443}", "magnum.management_api", "must be an https:// URL"),
        ("{stuck_after_minutes: 0}", "magnum.stuck_after_minutes", "expected a number of minutes > 0, got 0"),
        ("{insecure: maybe}", "magnum.insecure", "expected true or false, got 'maybe'"),
        ("{kubeconfig: /x}", "magnum", "unknown keys kubeconfig"),
    ],
)
def test_bad_magnum_entry(tmp_path: Path, entry: str, field: str, words: str) -> None:
    with pytest.raises(InputError) as err:
        _load(tmp_path, f"magnum: {entry}\n")
    assert err.value.field == field
    assert words in str(err.value)
    assert "targets.yaml" in err.value.one_line()
