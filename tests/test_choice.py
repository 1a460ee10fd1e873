"""The choice of precision on known numbers: no model, no speed measured."""

import pytest

from vidx.model.choice import Candidate, choose, judged, measured_elsewhere
from vidx.model.manifest import Manifest


def test_choice_on_known_numbers():
    guard = 0.985
    int8 = judged("int8", 20.0, 0.962, 0.987, 0.93, guard)
    mixed = judged("int8-mixed", 12.0, 0.9861, 0.993, 1.0, guard)
    bf16 = judged("bf16", 8.0, 0.991, 0.996, 1.0, guard)
    fp32 = judged("fp32", 3.0, 1.0, 1.0, 1.0, guard)
    assert (int8.accepted, mixed.accepted, bf16.accepted, fp32.accepted) == (False, True, True, True)
    choice = choose([int8, mixed, bf16, fp32], guard, "a CPU; avx2")
    assert choice.active == "int8-mixed"
    assert choice.reason == (
        "the fastest candidate (12 clips/s) whose worst held-out cosine to fp32 (0.9861) reaches "
        "model.int8_min_cosine = 0.985; below it: int8 (0.962)"
    )
    # bf16 faster than accuracy-controlled INT8 (a CPU with AMX): it wins.
    assert choose([int8, mixed, judged("bf16", 13.0, 0.991, 0.996, 1.0, guard), fp32], guard, "").active == "bf16"
    # FP32 slower than nothing: with every other candidate under the guard, it is still the answer.
    under = [judged(p, 10.0, 0.98, 0.99, 1.0, guard) for p in ("int8", "int8-mixed", "bf16")]
    alone = choose([*under, fp32], guard, "")
    assert alone.active == "fp32"
    assert alone.reason == (
        "no other candidate's worst held-out cosine to fp32 reaches model.int8_min_cosine = 0.985; "
        "below it: int8 (0.98), int8-mixed (0.98), bf16 (0.98)"
    )
    # FP32 measured fastest of all that pass (a model too small for the others to help): it is chosen as such.
    fastest = choose([bf16, judged("fp32", 9.0, 1.0, 1.0, 1.0, guard)], guard, "")
    assert (fastest.active, fastest.reason) == (
        "fp32",
        "the fastest candidate (9 clips/s) whose worst held-out cosine to fp32 (1) reaches model.int8_min_cosine = 0.985",
    )
    # Measured exactly at the guard passes; FP32 passes whatever its rounding.
    assert judged("int8", 1.0, 0.985, 0.99, 1.0, guard).accepted
    assert judged("fp32", 1.0, 0.99999, 1.0, 1.0, guard).accepted
    with pytest.raises(ValueError):
        choose([int8], guard, "")
    assert Candidate("int8", 1.0, 0.9, 0.9, 1.0, False) == judged("int8", 1.0, 0.9, 0.9, 1.0, guard)


def test_a_manifest_measured_on_another_cpu_is_measured_again():
    manifest = Manifest("src", "f" * 64, "0", "2026", "now", 1.0, {}, {}, {})
    assert not measured_elsewhere(manifest, "Intel Xeon; avx2 avx512_bf16"), "never measured: nothing to redo"
    manifest.cpu = "Intel Xeon; avx2 avx512_bf16"
    assert not measured_elsewhere(manifest, "Intel Xeon; avx2 avx512_bf16")
    assert measured_elsewhere(manifest, "AMD EPYC; avx2")
    # The same model name with other flags (a VM's CPU model masked differently) is another CPU too.
    assert measured_elsewhere(manifest, "Intel Xeon; avx2")
