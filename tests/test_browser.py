"""The web UI in a real headless Chromium: type a query, see the right result, play from the moment."""

import shutil
import threading

import pytest
import videos

import vidx
from vidx.searcher.web import App, Server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install '.[test]')")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (apt-get install chromium)")

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture
def site(run, imported, library, tmp_path, vidx_home):
    root = tmp_path / "lib"
    root.mkdir()
    target = videos.write(root / "grey-then-red.webm", videos.grey_then_red(40))  # VP8: browsers play it
    shutil.copy(library["blue"], root / "blue.gif")
    shutil.copy(library["brightening"], root / "fade_in.mp4")
    run("index", root, "--quiet")
    httpd = Server(("127.0.0.1", 0), App(vidx.Library(vidx_home)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", target
    httpd.shutdown()
    httpd.server_close()


def test_search_and_play_from_the_moment(site, tmp_path):
    url, target = site
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            page.goto(url)
            page.fill("input[name=q]", "red")
            page.click("button[type=submit]")
            first = page.locator("li.result").first
            first.wait_for()
            assert first.locator(".path").inner_text() == str(target)
            start = float(first.get_attribute("data-start"))
            assert start >= 4.0, "the red half starts at 4 s"
            assert first.locator("img.strip").evaluate("img => img.complete && img.naturalWidth > 0")
            video = first.locator("video")
            video.evaluate("v => { v.muted = true; return v.play(); }")
            page.wait_for_function("v => v.currentTime > 0 && !v.paused", arg=video.element_handle(), timeout=20000)
            assert video.evaluate("v => v.currentTime") >= start - 0.05
            page.screenshot(path=str(tmp_path / "page.png"))
        finally:
            browser.close()
