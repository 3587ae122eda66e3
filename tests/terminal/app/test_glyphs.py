"""Chinese really renders: 网 and 格 drawn alone give different, non-blank pixels with the app's font.

Kivy's default Roboto has no CJK glyphs and draws the same empty box for both, so the same check run with
Roboto must see identical pixels: that is the failure this test exists to catch (texture sizes would not).
"""
from __future__ import annotations

import json
import subprocess
import sys

from .test_screens_render import REPO, kivy_env

RENDER = r"""
import hashlib, json, sys
from terminal.app.ui.boot import prepare_kivy, register_cjk_font
prepare_kivy("kiosk", offscreen=True)
from kivy.core.text import Label as CoreLabel
from kivy.core.window import Window  # a GL context for textures
import os, kivy
roboto = os.path.join(kivy.kivy_data_dir, "fonts", "Roboto-Regular.ttf")  # by file: "Roboto" is now the CJK font
font = register_cjk_font()
out = {"font": str(font)}
for face in (roboto, None):  # None: the default font, which the app re-registered as the CJK font
    for char in ("网", "格"):
        label = CoreLabel(text=char, font_size=64, **({"font_name": face} if face else {}))
        label.refresh()
        pixels = label.texture.pixels  # RGBA bytes as drawn
        alpha = pixels[3::4]
        out[f"{'Roboto' if face else 'app'}:{char}"] = {"size": list(label.texture.size),
                                          "sha": hashlib.sha256(pixels).hexdigest(),
                                          "inked": sum(1 for a in alpha if a > 128)}
print(json.dumps(out))
"""


def render_glyphs(tmp_path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", RENDER], cwd=REPO, env=kivy_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_app_font_draws_distinct_chinese_glyphs_and_roboto_would_not(tmp_path):
    glyphs = render_glyphs(tmp_path)
    net, grid = glyphs["app:网"], glyphs["app:格"]
    assert net["inked"] > 150 and grid["inked"] > 150, "glyphs are blank"
    assert net["sha"] != grid["sha"], f"网 and 格 drew the same pixels with {glyphs['font']}: a missing-glyph box"
    # the control: the font kivy ships draws one and the same box for both
    assert glyphs["Roboto:网"]["sha"] == glyphs["Roboto:格"]["sha"]
    assert glyphs["Roboto:网"]["size"] == glyphs["Roboto:格"]["size"]
