"""The HTML report rendered by Debian's headless Chromium: assert on the DOM it built."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from tests.conftest import skip_or_fail

from .conftest import CEPH, JUJU_STATUS

CHROMIUM = shutil.which("chromium")


class Dom(HTMLParser):
    """Elements with their attributes, in document order, and each element's text."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[dict[str, str]] = []
        self.stack: list[dict[str, str]] = []
        self.text: dict[int, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = {"tag": tag, **{k: v or "" for k, v in attrs}, "_i": str(len(self.elements))}
        self.elements.append(el)
        if tag not in ("meta", "br", "img", "link", "input"):
            self.stack.append(el)

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data: str) -> None:
        for el in self.stack:
            i = int(el["_i"])
            self.text[i] = self.text.get(i, "") + data

    def find(self, **want: str) -> list[dict[str, str]]:
        def match(el: dict[str, str]) -> bool:
            for k, v in want.items():
                if k == "cls":
                    if v not in el.get("class", "").split():
                        return False
                elif el.get(k) != v:
                    return False
            return True

        return [el for el in self.elements if match(el)]

    def text_of(self, el: dict[str, str]) -> str:
        return " ".join(self.text.get(int(el["_i"]), "").split())


def dump_dom(page: Path, tmp: Path) -> Dom:
    assert CHROMIUM
    out = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--no-first-run", f"--user-data-dir={tmp / 'chromium-profile'}", "--dump-dom", page.as_uri(),
        ],
        capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    dom = Dom()
    dom.feed(out.stdout)
    return dom


def test_report_dom(tmp_path: Path) -> None:
    if CHROMIUM is None:
        skip_or_fail("needs Debian's chromium (scripts/debian-packages.txt)")
    page = tmp_path / "report.html"
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "assert", "--juju-status", str(JUJU_STATUS), "--ceph-status",
         str(CEPH / "status_osd-down-noout.json"), "--html", str(page)],
        capture_output=True, text=True, cwd=tmp_path, timeout=60, stdin=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k != "CLOUDOPS_TARGETS"},  # recorded inputs only
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    source = page.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", source), "no external assets"
    dom = dump_dom(page, tmp_path)

    # the layers as a stack, top layer first, hosts at the bottom
    layers = [el["data-layer"] for el in dom.find(tag="li", cls="layer")]
    assert layers == ["smoke", "agents", "apis", "data", "deployment", "hosts"]
    (data,) = dom.find(tag="li", id="layer-data")
    assert data["data-verdict"] == "FAIL" and "cause-layer" in data["class"].split()

    # the probable cause, highlighted, with its consequences folded under it
    (where,) = dom.find(id="cause-where")
    assert (where["data-layer"], where["data-component"]) == ("data", "ceph")
    assert dom.text_of(dom.find(id="cause-message")[0]) == "0 of 1 OSDs up: no placement group can serve I/O"
    (folded,) = dom.find(tag="details", id="consequences")
    assert "open" not in folded
    assert dom.text_of(folded).startswith("7 consequence(s) folded under it")
    (highlighted,) = dom.find(tag="li", cls="probable-cause")
    assert highlighted["data-check"] == "data.ceph-osds-up"

    # every finding has its evidence one click away
    findings = dom.find(tag="li", cls="finding")
    evidence = dom.find(tag="details", cls="evidence")
    assert len(findings) == len(evidence) == 12 + 7 + 32  # the stack (12 data, 32 deployment) + the folded 7
    # the inline script ran in the browser and counted the stack's findings
    (counts,) = dom.find(id="counts")
    assert counts.get("data-ready") == "yes"
    assert dom.text_of(counts) == "1 FAIL, 14 WARN, 36 PASS"  # 7 WARN in the stack and the same 7 folded
