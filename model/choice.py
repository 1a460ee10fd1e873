"""The choice of precision: each candidate measured on held-out clips, the fastest one that keeps the answers wins.

FP32 is the reference every cosine is taken against, so it always passes: there is always an answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .manifest import Manifest

# The candidates, in the order they are measured and listed.
CANDIDATES = ("int8", "int8-mixed", "bf16", "fp32")


@dataclass(frozen=True)
class Candidate:
    """One precision as measured on this CPU: speed on the held-out clips and how close it stays to FP32."""

    precision: str
    clips_per_second: float
    cosine_min: float  # worst cosine to FP32 over the held-out clips
    cosine_mean: float
    top1_agreement: float  # share of probe texts whose best held-out clip is FP32's
    accepted: bool  # cosine_min reaches the guard


@dataclass(frozen=True)
class Choice:
    active: str
    reason: str
    guard: float
    cpu: str  # model.cpu.identity() of the CPU the candidates were measured on
    candidates: tuple[Candidate, ...]


def judged(precision: str, speed: float, cos_min: float, cos_mean: float, agreement: float, guard: float):
    """A measured candidate, accepted when its worst cosine to FP32 reaches `guard` (FP32 itself always is)."""
    cos_min, cos_mean = round(cos_min, 5), round(cos_mean, 5)
    passes = precision == "fp32" or cos_min >= guard
    return Candidate(precision, round(speed, 2), cos_min, cos_mean, round(agreement, 4), passes)


def choose(candidates: list[Candidate], guard: float, cpu: str) -> Choice:
    """The fastest accepted candidate, with the reason in words."""
    passing = [c for c in candidates if c.accepted]
    if not passing:
        raise ValueError("FP32 must be among the candidates: it is the reference and always passes")
    best = max(passing, key=lambda c: c.clips_per_second)
    if len(passing) == 1:
        reason = f"no other candidate's worst held-out cosine to fp32 reaches model.int8_min_cosine = {guard:g}"
    else:
        reason = (
            f"the fastest candidate ({best.clips_per_second:g} clips/s) whose worst held-out cosine to fp32 "
            f"({best.cosine_min:g}) reaches model.int8_min_cosine = {guard:g}"
        )
    refused = [f"{c.precision} ({c.cosine_min:g})" for c in candidates if not c.accepted]
    if refused:
        reason += f"; below it: {', '.join(refused)}"
    return Choice(best.precision, reason, guard, cpu, tuple(candidates))


def record(manifest: Manifest, choice: Choice) -> None:
    """Keep the choice in the manifest, where `vidx model info` and the CPU-change rule read it."""
    manifest.cpu = choice.cpu
    manifest.candidates = [asdict(c) for c in choice.candidates]
    manifest.chosen = {"precision": choice.active, "reason": choice.reason, "guard": choice.guard}
    bf16 = next((c for c in choice.candidates if c.precision == "bf16"), None)
    manifest.bf16_report = (
        {"cosine_min": bf16.cosine_min, "cosine_mean": bf16.cosine_mean, "top1_agreement": bf16.top1_agreement}
        if bf16
        else None
    )


def recorded(manifest: Manifest) -> Choice | None:
    """The choice the manifest holds, or None when `vidx model quantize` never measured the candidates."""
    if not manifest.candidates or not manifest.chosen or manifest.cpu is None:
        return None
    candidates = tuple(Candidate(**c) for c in manifest.candidates)
    chosen = manifest.chosen
    return Choice(chosen["precision"], chosen["reason"], chosen["guard"], manifest.cpu, candidates)


def measured_elsewhere(manifest: Manifest, cpu: str) -> bool:
    """Whether the candidates were measured on another CPU than `cpu`: speeds (bf16 above all) and INT8's
    saturation depend on the CPU, so the choice is made again there."""
    return manifest.cpu is not None and manifest.cpu != cpu
