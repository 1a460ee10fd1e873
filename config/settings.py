"""Effective settings: declared defaults < user config.toml < VIDX_* environment < CLI flags."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from vidx.errors import ConfigError

from .declared import (
    SECTIONS,
    SETTINGS,
    ClipSettings,
    IndexSettings,
    ModelSettings,
    RaySettings,
    SearchSettings,
    ServeSettings,
    Setting,
    SpeechSettings,
)
from .home import Home

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


@dataclass(frozen=True)
class Settings:
    home: Home
    clip: ClipSettings
    index: IndexSettings
    search: SearchSettings
    serve: ServeSettings
    model: ModelSettings
    ray: RaySettings
    speech: SpeechSettings
    origins: dict[str, str] = field(default_factory=dict, compare=False)
    overrides: dict[str, object] = field(default_factory=dict, compare=False)  # the flags it was loaded with

    def items(self) -> list[tuple[str, object, str]]:
        """(section.key, value, where it came from) for every setting."""
        out = []
        for section in SECTIONS:
            values = getattr(self, section)
            for f in fields(values):
                key = f"{section}.{f.name}"
                out.append((key, getattr(values, f.name), self.origins.get(key, "default")))
        return out


# Environment variables that look like settings but are not: VIDX_SERVE_TOKEN is a secret for `vidx serve
# --token`, which `vidx config` must never list.
_NOT_SETTINGS = ("VIDX_HOME", "VIDX_SERVE_TOKEN")

# What each type of setting asks for, as a bad value's message says it.
_WANTED = {bool: "true or false", int: "a whole number", float: "a number", tuple: "a list of strings", str: "a string"}


def _coerce(setting: Setting, value: Any, origin: str) -> object:
    """Convert a value to its setting's type; strings come from the environment and flags."""
    kind = setting.kind
    try:
        if kind is bool:
            return _boolean(value)
        if kind is int:
            if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if kind is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if kind is tuple:
            items = [v.strip() for v in value.split(",")] if isinstance(value, str) else value
            if not isinstance(items, list | tuple) or not all(isinstance(v, str) for v in items):
                raise ValueError
            return tuple(v.lower() for v in items if v)
        if not isinstance(value, str):
            raise ValueError
        return value
    except (TypeError, ValueError):
        raise ConfigError(
            f"Invalid value for {setting.key} ({origin}): expected {_WANTED[kind]}, got {value!r}"
        ) from None


def _boolean(value: Any) -> bool:
    """TOML's true and false, and their spellings in the environment and flags."""
    if isinstance(value, bool):
        return value
    word = value.strip().lower() if isinstance(value, str) else None
    if word in ("true", "1", "yes", "on"):
        return True
    if word in ("false", "0", "no", "off"):
        return False
    raise ValueError


def _check(setting: Setting, value: Any, origin: str) -> None:
    rules, where = setting.rules, f"{setting.key} ({origin})"
    if rules.minimum is not None and value < rules.minimum:
        raise ConfigError(f"Invalid value for {where}: must be >= {rules.minimum}, got {value!r}")
    if rules.maximum is not None and value > rules.maximum:
        raise ConfigError(f"Invalid value for {where}: must be <= {rules.maximum}, got {value!r}")
    if rules.choices and value not in rules.choices:
        raise ConfigError(f"Invalid value for {where}: must be one of {', '.join(rules.choices)}, got {value!r}")
    complaint = rules.check(value) if rules.check else None
    if complaint:
        raise ConfigError(f"Invalid value for {where}: {complaint}")


def _read_user_file(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"Cannot read {path}: {e}") from None


def load_settings(home: Home, overrides: dict[str, object] | None = None) -> Settings:
    """Merge the four layers and validate every value; `overrides` are CLI flags keyed `section.key`."""
    merged: dict[str, object] = {}
    origins: dict[str, str] = {}

    def put(key: str, value: object, origin: str) -> None:
        if key not in SETTINGS:
            raise ConfigError(f"Unknown setting {key} ({origin}); `vidx config` lists the known ones")
        coerced = _coerce(SETTINGS[key], value, origin)
        _check(SETTINGS[key], coerced, origin)
        merged[key] = coerced
        if origin != "default":
            origins[key] = origin

    for key, declared in SETTINGS.items():
        put(key, declared.default, "default")
    if os.environ.get("RAY_ADDRESS"):
        # Ray's own variable is where a cluster's users already keep its address: it stands for the default.
        put("ray.address", os.environ["RAY_ADDRESS"], "env RAY_ADDRESS")

    user = _read_user_file(home.config_file)
    for section, table in user.items():
        if not isinstance(table, dict):
            raise ConfigError(f"Unknown setting {section} ({home.config_file}); settings live in sections")
        for k, v in table.items():
            put(f"{section}.{k}", v, str(home.config_file))

    for name, value in os.environ.items():
        if not name.startswith("VIDX_") or name in _NOT_SETTINGS:
            continue
        rest = name[len("VIDX_") :].lower()
        section, _, key = rest.partition("_")
        if section in SECTIONS:
            put(f"{section}.{key}", value, f"env {name}")

    for key, flag in (overrides or {}).items():
        put(key, flag, "flag")

    sections = {}
    for section, cls in SECTIONS.items():
        sections[section] = cls(**{f.name: merged[f"{section}.{f.name}"] for f in fields(cls)})
    return Settings(home=home, origins=origins, overrides=dict(overrides or {}), **sections)


def parse_assignment(text: str) -> tuple[str, str]:
    """Split a `--set section.key=value` flag."""
    key, sep, value = text.partition("=")
    if not sep or "." not in key:
        raise ConfigError(f"Invalid --set {text!r}: expected SECTION.KEY=VALUE, e.g. clip.fps=0")
    return key.strip(), value.strip()


def write_user_setting(home: Home, key: str, value: object) -> None:
    """Persist one setting in the user's config.toml, keeping the others."""
    import tomli_w

    data = _read_user_file(home.config_file)
    section, _, name = key.partition(".")
    data.setdefault(section, {})[name] = value
    home.ensure()
    tmp = home.config_file.with_suffix(".toml.tmp")
    tmp.write_text(tomli_w.dumps(data))
    os.replace(tmp, home.config_file)
