"""The web UI in a real headless Chromium: the grid, the player at the moment, paging, errors in the form, and the
layout at 1280 and 390 px wide (nothing overlapping, nothing wider than the screen)."""

import shutil
from itertools import combinations

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

# The boxes of the page's parts, as the browser laid them out (visible ones only).
BOXES = """(selector) => [...document.querySelectorAll(selector)]
  .map((e) => { const r = e.getBoundingClientRect(); return {name: e.outerHTML.slice(0, 60), x: r.left, y: r.top,
    right: r.right, bottom: r.bottom}; })
  .filter((b) => b.right > b.x && b.bottom > b.y)"""
COPY = "green (1).avi"
CONTROLS = "form.search input, form.search button, form.search label, .brand, .paging a, #summary"


@pytest.fixture
def site(run, imported, library, tmp_path, vidx_home):
    root = tmp_path / "lib"
    root.mkdir()
    target = videos.write(root / "grey-then-red.webm", videos.grey_then_red(40))  # VP8: browsers play it
    for name in ("green", "blue", "brightening", "darkening", "moving"):
        shutil.copy(library[name], root / library[name].name)
    # An exact copy of green elsewhere, under another name: one result, the copy named on its card.
    (root / "old phone").mkdir()
    shutil.copy(library["green"], root / "old phone" / COPY)
    run("index", root, "--quiet")
    # Served as on a network, so a token is required; the browser reaches it through loopback all the same.
    with serving(make_app(vidx_home), host="0.0.0.0") as httpd:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", httpd.guard.token, target


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_page(browser, site, width=1280, height=900):
    url, token, _ = site
    page = browser.new_page(viewport={"width": width, "height": height})
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security" in message.text else None)
    assert page.goto(f"{url}?token={token}").status == 200
    return page, refused


def overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    return [
        (a["name"], b["name"])
        for a, b in combinations(boxes, 2)
        if a["x"] < b["right"] - 0.5
        and b["x"] < a["right"] - 0.5
        and a["y"] < b["bottom"] - 0.5
        and b["y"] < a["bottom"] - 0.5
    ]


def test_search_and_play_from_the_moment(site, browser, tmp_path):
    url, _, target = site
    stranger = browser.new_page()
    assert stranger.goto(url).status == 401
    assert stranger.goto(f"{url}?token=wrong").status == 401
    page, refused = open_page(browser, site)  # another context: no cookie yet
    assert page.evaluate("document.cookie") == ""  # HttpOnly: no script could read the token
    assert page.title() == "vidx"
    page.fill("input[name=q]", "red")
    page.keyboard.press("Enter")
    first = page.locator("li.result").first
    first.wait_for()
    assert page.title() == "red · vidx"
    assert first.locator(".name").inner_text() == target.name
    assert first.locator(".folder").inner_text() == str(target.parent)
    start, end = float(first.get_attribute("data-start")), float(first.get_attribute("data-end"))
    assert 4.0 - 3.2 <= start <= 4.0 and end == 8.0, "the moment: the red half, 4-8 s, to within a clip"
    assert first.locator(".share").inner_text() == "100% relevant"
    assert "score 7.0" in first.locator(".relevance").get_attribute("title"), "the raw score on hover"
    assert first.locator(".thumb img").evaluate("img => img.complete && img.naturalWidth > 0")
    # By keyboard: the result takes the focus and Enter opens the one player, at the moment.
    first.locator("a.open").focus()
    page.keyboard.press("Enter")
    player = page.locator("dialog#player")
    player.wait_for(state="visible")
    assert page.locator("#player-title").inner_text() == target.name
    video = player.locator("video")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0 && !v.paused", arg=video.element_handle(), timeout=20000)
    assert video.evaluate("v => v.currentTime") >= start - 0.05
    # The out handle takes the player's position; the download is exactly the span between the handles.
    video.evaluate("v => { v.pause(); v.currentTime = 6.0; }")
    page.wait_for_function("v => Math.abs(v.currentTime - 6.0) < 0.01", arg=video.element_handle())
    player.get_by_role("button", name="Set out to now").click()
    assert player.locator("input[name=end]").input_value() == "6.0"
    player.locator("input[name=start]").fill("4.5")
    with page.expect_download() as download:
        player.get_by_role("button", name="Download clip").click()
    saved = tmp_path / "span.mp4"
    download.value.save_as(saved)
    with av.open(str(saved)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 15, "4.5 s to 6.0 s at 10 fps"
    assert frames[0].mean(axis=(0, 1))[0] > 150, "red from the first frame"
    # An out before the in is said in the player, not sent.
    player.locator("input[name=end]").fill("3")
    player.get_by_role("button", name="Download clip").click()
    assert player.locator(".export-error").inner_text() == "Out must come after in."
    page.keyboard.press("Escape")
    player.wait_for(state="hidden")
    assert video.evaluate("v => v.paused")
    assert first.locator("a.open").evaluate("a => a === document.activeElement"), "the focus goes back"
    assert token_free(page, site)
    assert refused == []


def token_free(page, site) -> bool:
    """The form, the thumbnails and the player got in by the cookie: the token left the address bar."""
    return site[1] not in page.url


def test_more_results_and_errors_in_the_form(site, browser):
    page, refused = open_page(browser, site)
    page.goto(f"{site[0]}?q=red&k=4")
    assert page.locator("li.result").count() == 4
    assert page.locator("#summary").inner_text() == "Results 1–4"
    page.get_by_role("link", name="More results").click()
    page.wait_for_function("() => document.querySelectorAll('li.result').length == 6")
    assert [int(r) for r in page.locator("li.result").evaluate_all("rs => rs.map(r => r.dataset.rank)")] == list(
        range(1, 7)
    )
    assert page.locator("#summary").inner_text() == "6 results"
    assert page.locator("#more").count() == 0
    assert page.locator("li.result").nth(4).locator("a.open").evaluate("a => a === document.activeElement")
    page.fill("input[name=min_duration]", "50")
    page.fill("input[name=max_duration]", "10")
    page.get_by_role("button", name="Search").click()
    errors = page.locator("#errors")
    errors.wait_for()
    assert errors.inner_text() == "Length up to 10 s is below length from 50 s"
    assert page.locator("input[name=max_duration]").get_attribute("aria-invalid") == "true"
    assert page.locator("input[name=q]").input_value() == "red", "the form keeps what was asked"
    assert page.get_by_label("Length from").input_value() == "50", "every filter has its label"
    assert refused == []


@pytest.mark.parametrize(("width", "height", "columns"), [(1280, 900, 4), (390, 844, 2)])
def test_layout_has_no_overlap_and_fits_the_screen(site, browser, tmp_path, width, height, columns):
    page, refused = open_page(browser, site, width, height)
    page.goto(f"{site[0]}?q=red&k=5")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(tmp_path / f"results-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "no sideways scrolling"
    cards = page.evaluate(BOXES, "li.result")
    controls = page.evaluate(BOXES, CONTROLS)
    assert len(cards) == 5
    assert len({round(card["y"]) for card in cards[:columns]}) == 1, f"{columns} results side by side"
    assert overlapping(cards) == []
    assert overlapping([box for box in controls if not box["name"].startswith("<label")]) == []
    assert overlapping(page.evaluate(BOXES, "form.search label")) == []
    assert overlapping(cards + page.evaluate(BOXES, "header, #summary, .paging")) == []
    assert max(box["right"] for box in cards + controls) <= width
    page.locator("a.open").first.click()
    page.locator("dialog#player").wait_for(state="visible")
    page.screenshot(path=str(tmp_path / f"player-{width}.png"))
    inside = page.evaluate(BOXES, "dialog#player button, dialog#player label, dialog#player video")
    assert overlapping([box for box in inside if not box["name"].startswith("<label")]) == []
    assert max(box["right"] for box in inside) <= width
    assert refused == []


@pytest.mark.parametrize("width", [1280, 390])
def test_exact_copies_are_named_on_their_one_card(site, browser, library, width):
    page, refused = open_page(browser, site, width)
    page.goto(f"{site[0]}?q=green&k=6")
    green = page.locator("li.result").filter(has=page.locator(".copies"))
    assert green.count() == 1, "the two paths of green's bytes take one card"
    root = site[2].parent
    paths = {str(root / library["green"].name), str(root / "old phone" / COPY)}
    shown = f"{green.locator('.folder').inner_text()}/{green.locator('.name').inner_text()}"
    assert shown in paths
    (other,) = paths - {shown}
    copies = green.locator(".copies")
    assert copies.inner_text() == f"1 copy: {other.rsplit('/', 1)[1]}"
    assert copies.get_attribute("title") == other, "the whole path on hover"
    names = page.locator("li.result .name").all_inner_texts()
    assert not {library["green"].name, COPY} <= set(names), "the copy has no card of its own"
    # Small, under the folder, inside the card at either width.
    card, folder, box, line = (
        page.evaluate(BOXES, f"li.result:has(.copies) {part}")[0] for part in ("", ".folder", ".copies", ".line")
    )
    assert folder["bottom"] <= box["y"] + 0.5 and box["bottom"] <= line["y"] + 0.5
    assert card["x"] <= box["x"] and box["right"] <= card["right"]
    assert copies.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") < float(
        green.locator(".name").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    )
    # The line it adds does not push its card's relevance below its neighbours'.
    bars = zip(page.evaluate(BOXES, "li.result"), page.evaluate(BOXES, "li.result .relevance"), strict=True)
    row = [bar for other, bar in bars if round(other["y"]) == round(card["y"])]
    assert len(row) > 1 and len({round(bar["bottom"]) for bar in row}) == 1
    assert refused == []
