"""The benchmark's full-size S3D goes through the same import path as the user's model."""

import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import as_json

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import s3d_model  # noqa: E402

pytestmark = pytest.mark.slow


def test_full_size_s3d_imports_and_answers(run, tmp_path, vidx_home):
    assert 60 < s3d_model.video_gflops() < 90, "the real S3D costs about 74 GFLOPs per clip"
    # Small clips keep the data-dependent init cheap (S3D halves 32 x 32 five times to one position, as it does
    # 224 x 224 to 7 x 7); the saved graph takes any height and width.
    clips = np.random.default_rng(0).random((2, 32, 32, 32, 3), dtype=np.float32)
    saved = s3d_model.build(tmp_path / "s3d", clips)
    result = run("model", "import", saved)
    assert result.output.startswith(f"Imported {saved}\n")
    info = as_json(run("model", "info", "--json"))
    assert info["inputs"] == {"words": [-1], "images": [-1, 32, 224, 224, 3]}
    assert info["outputs"] == {"text_embedding": [-1, 512], "video_embedding": [-1, 512]}
    vectors = as_json(run("embed", "text", "a person walking", "--json"))["vectors"]
    assert len(vectors[0]) == 512
