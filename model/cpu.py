"""Which CPU this is, as far as the choice of precision cares: its model name and the flags that make a
precision fast or slow here."""

from __future__ import annotations

from functools import cache
from pathlib import Path

# VNNI and AMX multiply int8 directly (INT8's speed, and no int16 saturation); AVX512_BF16 and AMX run bf16.
RELEVANT = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
VNNI = ("avx512_vnni", "avx_vnni", "amx_int8")


@cache
def _cpuinfo() -> tuple[str, frozenset[str]]:
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown CPU", frozenset()
    lines = info.splitlines()
    name = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown CPU")
    flags = next((line.split(":", 1)[1].split() for line in lines if line.startswith("flags")), [])
    return name, frozenset(flags)


def identity() -> str:
    """`<model name>; <relevant flags>`: a home measured on another identity is measured again."""
    name, flags = _cpuinfo()
    return f"{name}; {' '.join(f for f in RELEVANT if f in flags) or 'none of ' + ' '.join(RELEVANT)}"


def has_vnni() -> bool:
    """VNNI (or AMX) multiplies u8 by s8 into int32 directly; without it, pairs add up in int16 and can saturate."""
    return any(f in _cpuinfo()[1] for f in VNNI)
