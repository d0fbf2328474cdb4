"""The Japanese report renders real glyphs in Debian's Chromium with the Noto CJK fonts (`make cjk-fonts`).

Tofu is detected by comparison: text whose glyphs are missing renders as the same `.notdef`
boxes as a string of unassigned code points. With Noto CJK the report's Japanese title must
differ from that; with a fontconfig holding only a Latin font (the control), it must not.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import zlib
from pathlib import Path

import pytest

from drctl.report.evidence import Evidence
from drctl.report.i18n import Labels
from drctl.report.render import render_html

from .test_chromium import _chromium, _distinct_colours

LATIN_ONLY_FONTS = ("/usr/share/fonts/truetype/dejavu",)


def _fonts_conf(tmp_path: Path, dirs: tuple[str, ...]) -> Path:
    conf = tmp_path / "fonts.conf"
    listed = "".join(f"<dir>{d}</dir>" for d in dirs)
    conf.write_text(
        f'<?xml version="1.0"?><fontconfig>{listed}<cachedir>{tmp_path}/fc-cache</cachedir></fontconfig>'
    )
    return conf


def _shot(html: str, tmp_path: Path, name: str, fonts_conf: Path | None = None) -> bytes:
    """The decompressed pixel data of a 700x140 screenshot of `html`."""
    page, png = tmp_path / f"{name}.html", tmp_path / f"{name}.png"
    page.write_text(html, encoding="utf-8")
    env = dict(os.environ) | ({"FONTCONFIG_FILE": str(fonts_conf)} if fonts_conf else {})
    command = [
        _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / ('profile-' + name)}", f"--screenshot={png}",
        "--window-size=700,140", "--hide-scrollbars", page.as_uri(),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        output, _ = process.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("Chromium did not finish the screenshot within 90 s")
    assert process.returncode == 0, output.decode(errors="replace")[-2000:]
    assert _distinct_colours(png) > 2  # something was drawn
    data, pos, idat = png.read_bytes(), 8, b""
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        idat += data[pos + 8 : pos + 8 + length] if data[pos + 4 : pos + 8] == b"IDAT" else b""
        pos += 12 + length
    return zlib.decompress(idat)


def _page(body: str, stack: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"></head>'
        f'<body style="margin:20px;font-family:{stack};font-size:48px">{body}</body></html>'
    )


def _report_font_stack(html: str) -> str:
    match = re.search(r"body \{ font-family: ([^;]+);", html)
    assert match, "the report's CSS names a font stack"
    return match[1]


def _digest(pixels: bytes) -> str:
    return hashlib.sha256(pixels).hexdigest()


@pytest.mark.slow
def test_the_japanese_report_title_renders_glyphs_not_tofu(
    evidence: Evidence, tmp_path: Path
) -> None:
    html = render_html(evidence, "ja")
    stack = _report_font_stack(html)
    assert "Noto Sans CJK JP" in stack
    title = Labels("ja")["title"]
    assert f"<h1>{title}:" in html
    missing = "\u0378" * sum(1 for c in title if ord(c) > 0x2E7F)  # unassigned: always tofu
    latin = "".join(c for c in title if ord(c) <= 0x2E7F)
    with_cjk = _shot(_page(title, stack), tmp_path, "ja")
    tofu = _shot(_page(latin + missing, stack), tmp_path, "tofu")
    assert _digest(with_cjk) != _digest(tofu)


@pytest.mark.slow
def test_the_tofu_comparison_detects_missing_cjk_fonts(tmp_path: Path) -> None:
    """The control: with only a Latin font installed, the same comparison finds tofu."""
    if not Path(LATIN_ONLY_FONTS[0]).is_dir():
        pytest.fail("the control needs Debian's fonts-dejavu-core")
    conf = _fonts_conf(tmp_path, LATIN_ONLY_FONTS)
    stack = "system-ui, 'Noto Sans CJK JP', sans-serif"
    title = Labels("ja")["title"]
    missing = "\u0378" * sum(1 for c in title if ord(c) > 0x2E7F)
    latin = "".join(c for c in title if ord(c) <= 0x2E7F)
    with_cjk = _shot(_page(title, stack), tmp_path, "ja", conf)
    tofu = _shot(_page(latin + missing, stack), tmp_path, "tofu", conf)
    assert _digest(with_cjk) == _digest(tofu)
