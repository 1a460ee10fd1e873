"""The web UI in a real headless Chromium: open the link with its token, search, see the result, play the moment."""

import shutil

import av
import pytest
import videos
from serving import make_app, serving

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
    # Served as on a network, so a token is required; the browser reaches it through loopback all the same.
    with serving(make_app(vidx_home), host="0.0.0.0") as httpd:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", httpd.guard.token, target


def test_search_and_play_from_the_moment(site, tmp_path):
    url, token, target = site
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            stranger = browser.new_page()
            assert stranger.goto(url).status == 401
            assert stranger.goto(f"{url}?token=wrong").status == 401
            page = browser.new_page()  # another context: no cookie yet
            refused = []
            page.on(
                "console", lambda message: refused.append(message.text) if "Content Security" in message.text else None
            )
            assert page.goto(f"{url}?token={token}").status == 200
            assert page.evaluate("document.cookie") == ""  # HttpOnly: no script could read the token
            assert (
                page.eval_on_selector("body", "body => getComputedStyle(body).maxWidth") == "960px"
            )  # style hashed in
            page.fill("input[name=q]", "red")
            page.click("button[type=submit]")
            first = page.locator("li.result").first
            first.wait_for()
            assert first.locator(".path").inner_text() == str(target)
            start, end = float(first.get_attribute("data-start")), float(first.get_attribute("data-end"))
            assert 4.0 - 3.2 <= start <= 4.0 and end == 8.0, "the moment: the red half, 4-8 s, to within a clip"
            assert first.locator("img.strip").evaluate("img => img.complete && img.naturalWidth > 0")
            video = first.locator("video")
            video.evaluate("v => { v.muted = true; return v.play(); }")
            page.wait_for_function("v => v.currentTime > 0 && !v.paused", arg=video.element_handle(), timeout=20000)
            assert video.evaluate("v => v.currentTime") >= start - 0.05
            # The out handle takes the player's position; the download is exactly the span between the handles.
            video.evaluate("v => { v.pause(); v.currentTime = 6.0; }")
            page.wait_for_function("v => Math.abs(v.currentTime - 6.0) < 0.01", arg=video.element_handle())
            first.locator("button[data-set=end]").click()
            assert first.locator("input[name=end]").input_value() == "6.0"
            first.locator("input[name=start]").fill("4.5")
            with page.expect_download() as download:
                first.locator("form.export button[type=submit]").click()
            saved = tmp_path / "span.mp4"
            download.value.save_as(saved)
            with av.open(str(saved)) as container:
                frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
            assert len(frames) == 15, "4.5 s to 6.0 s at 10 fps"
            assert frames[0].mean(axis=(0, 1))[0] > 150, "red from the first frame"
            assert token not in page.url  # the form, the thumbnails and the player got in by the cookie
            assert refused == []
            page.screenshot(path=str(tmp_path / "page.png"))
        finally:
            browser.close()
