"""The web UI in a real headless Chromium: a result's said line shows with its time and plays the video from it."""

import shutil

import pytest
import videos
from serving import make_app, serving
from subtitle_files import write_text
from test_browser import CHROMIUM, FLAGS

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install '.[test]')")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (apt-get install chromium)")


def test_clicking_a_said_result_plays_from_its_line(run, imported, library, tmp_path, vidx_home):
    root = tmp_path / "lib"
    target = videos.write(root / "grey-then-red.webm", videos.grey_then_red(40))  # VP8: browsers play it
    write_text(root / "grey-then-red.en.srt", "1\n00:00:05,000 --> 00:00:06,500\nplease feed the cat\n")
    shutil.copy(library["blue"], root / "blue.gif")
    run("index", root, "--quiet")
    with serving(make_app(vidx_home)) as httpd, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{httpd.server_address[1]}/")
            page.fill("input[name=q]", "feed the cat")
            page.select_option("select[name=mode]", "said")
            page.keyboard.press("Enter")
            first = page.locator("li.result").first
            first.wait_for()
            assert first.locator(".name").inner_text() == target.name
            said = first.locator(".said")
            assert said.inner_text() == "0:05.0 “please feed the cat”"
            said.click()
            video = page.locator("dialog#player video")
            video.wait_for(state="visible")
            video.evaluate("v => { v.muted = true; return v.play(); }")
            page.wait_for_function("v => v.currentTime >= 5 && !v.paused", arg=video.element_handle(), timeout=20000)
            assert video.evaluate("v => v.currentTime") < 6.5
        finally:
            browser.close()
