"""Which model made a vector: a model's short id, and the vector space (model and precision) an index holds."""

from __future__ import annotations


def model_id(fingerprint: str) -> str:
    """The model as folder names, messages and vector spaces name it: its fingerprint's first 16 hex digits."""
    return fingerprint[:16]


def vector_space(fingerprint: str, precision: str, ir: str | None = None) -> str:
    """`<model id>:<precision>[@<ir>]`: vectors of two spaces are never compared, and a change of either
    re-embeds. `ir` names a quantized IR (a digest of its weights): quantizing again makes other vectors under
    the same precision's name."""
    return f"{model_id(fingerprint)}:{precision}" + (f"@{ir}" if ir else "")


def space_model(space: str) -> str:
    """The model id of a stored vector space."""
    return space.split(":")[0]
