"""The text encoder keeps the vectors of the latest texts: a served query embeds its text twice, and pages ask again."""

import numpy as np

from vidx.config import Home
from vidx.model.runtime import RECENT_TEXTS, TextEncoder


class Counted:
    """The compiled model, counting its inferences."""

    def __init__(self, compiled):
        self.compiled, self.runs = compiled, 0

    def __call__(self, inputs):
        self.runs += 1
        return self.compiled(inputs)


def test_a_text_embedded_again_is_not_run_again_until_newer_texts_push_it_out(imported):
    encoder = TextEncoder(Home(imported))
    model = encoder._compiled = Counted(encoder._compiled)
    first = encoder.embed(["red", "blue green"])
    first[0] = 0  # the caller's copy: what is kept is not changed through it
    again = encoder.embed(["red", "red  ", "blue green"])  # the same words, spaced otherwise
    assert model.runs == 2
    np.testing.assert_array_equal(again[0], again[1])
    assert again[0, 0] == 1.0, "the toy model's red"
    np.testing.assert_array_equal(again[2], encoder.embed(["blue green"])[0])
    encoder.embed([f"word{i}" for i in range(RECENT_TEXTS)])
    assert model.runs == 2 + RECENT_TEXTS
    encoder.embed(["red"])  # pushed out by the newer texts: run again
    assert model.runs == 3 + RECENT_TEXTS
