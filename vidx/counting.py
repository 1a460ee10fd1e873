"""How vidx counts things in words, the same in every message: the CLI's lines and the library's alike."""


def counted(n: int, noun: str) -> str:
    """`1 clip`, `2 clips`, `0 failed files`: the nouns vidx counts take an s."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
