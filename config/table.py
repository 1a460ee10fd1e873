"""README.md's settings table, made from the declaration: `python -m vidx.config.table` prints it."""

from __future__ import annotations

from .declared import SETTINGS, Setting


def shown(setting: Setting) -> str:
    """The default as the README writes it: its own wording where declared, else the value (10.0 as 10)."""
    if setting.rules.shown:
        return setting.rules.shown
    if isinstance(setting.default, bool):
        return str(setting.default).lower()
    return f"{setting.default:g}" if isinstance(setting.default, float) else str(setting.default)


def markdown() -> str:
    rows = [f"| `{s.key}` | {shown(s)} | {s.rules.doc} |" for s in SETTINGS.values()]
    return "\n".join(["| setting | default | meaning |", "|---|---|---|", *rows]) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
