"""Texts of any length, in any order, in one process: OpenVINO 2026.2-2026.4 abort ("free(): invalid pointer")
when a text splits into more words than an earlier one on the same compiled model, so `vidx serve` died on a
user's second, longer query."""

import subprocess
import sys

import numpy as np
import toy_model

import vidx

CODE = """
import vidx
with vidx.Library() as lib:
    for text in ["red", "red moving", "blue", "red a b c d e f g h i j k l m n o p q r s", "green"]:
        print(text.split()[0], lib.search(text, k=1)[0].path.rsplit("/", 1)[1])
    print(lib.embed_text(["red", "red green", "blue"]).shape)
"""


def test_longer_texts_after_shorter_ones(run, imported, library):
    run("index", library["root"] / "colours", "--quiet")
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=300)
    assert (result.returncode, result.stdout) == (
        0,
        "red red.mp4\nred red.mp4\nblue blue.gif\nred red.mp4\ngreen green.avi\n(3, 512)\n",
    )


def test_only_the_first_16_words_count(imported):
    with vidx.Library() as lib:
        sixteen, longer = lib.embed_text([" ".join(["red"] * 16), " ".join(["red"] * 16 + ["blue"] * 4)])
    assert np.array_equal(sixteen, longer)
    assert sixteen[0] == 16.0 and toy_model.MAX_WORDS == 16
