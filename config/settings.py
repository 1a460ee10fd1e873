"""Effective settings: packaged defaults < user config.toml < VIDX_* environment < CLI flags."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path

from vidx.errors import ConfigError

from .home import Home

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PRECISIONS = ("fp32", "bf16", "int8")
ENGINES = ("local", "ray")
# Each decoder is a process of ~150 MB; more than this is a typo, not a machine.
MAX_DECODERS = 64


@dataclass(frozen=True)
class ClipSettings:
    frames: int
    size: int
    fps: float
    stride: float
    max_per_video: int


@dataclass(frozen=True)
class IndexSettings:
    extensions: tuple[str, ...]
    batch: int
    timeout: float
    decoders: int
    ann_threshold: int
    engine: str


@dataclass(frozen=True)
class RaySettings:
    address: str
    cpus_per_worker: int
    workers: int


@dataclass(frozen=True)
class SearchSettings:
    k: int
    moment_margin: float


@dataclass(frozen=True)
class ServeSettings:
    max_connections: int
    timeout: float


@dataclass(frozen=True)
class ModelSettings:
    precision: str
    int8_min_cosine: float
    source: str


@dataclass(frozen=True)
class Settings:
    home: Home
    clip: ClipSettings
    index: IndexSettings
    search: SearchSettings
    serve: ServeSettings
    model: ModelSettings
    ray: RaySettings
    origins: dict[str, str] = field(default_factory=dict, compare=False)
    overrides: dict[str, object] = field(default_factory=dict, compare=False)  # the flags it was loaded with

    def items(self) -> list[tuple[str, object, str]]:
        """(section.key, value, where it came from) for every setting."""
        out = []
        for section in _SECTIONS:
            values = getattr(self, section)
            for f in fields(values):
                key = f"{section}.{f.name}"
                out.append((key, getattr(values, f.name), self.origins.get(key, "default")))
        return out


_SECTIONS = {
    "clip": ClipSettings,
    "index": IndexSettings,
    "search": SearchSettings,
    "serve": ServeSettings,
    "model": ModelSettings,
    "ray": RaySettings,
}

# Environment variables that look like settings but are not: VIDX_SERVE_TOKEN is a secret for `vidx serve
# --token`, which `vidx config` must never list.
_NOT_SETTINGS = ("VIDX_HOME", "VIDX_SERVE_TOKEN")

# Lower bounds checked after type conversion; a value below one is a ConfigError.
_MINIMUM = {
    "clip.frames": 1,
    "clip.size": 8,
    "clip.fps": 0,
    "clip.stride": 0,
    "clip.max_per_video": 0,
    "index.batch": 1,
    "index.timeout": 1,
    "index.decoders": 0,
    "index.ann_threshold": 1,
    "search.k": 1,
    "serve.max_connections": 1,
    "serve.timeout": 1,
    "search.moment_margin": 0,
    "model.int8_min_cosine": -1,
    "ray.cpus_per_worker": 1,
    "ray.workers": 0,
}


def defaults() -> dict[str, dict]:
    text = resources.files("vidx.config").joinpath("defaults.toml").read_text()
    return tomllib.loads(text)


def _coerce(key: str, value: object, template: object, origin: str) -> object:
    """Convert a value to the type of its default; strings come from the environment and flags."""
    where = f"{key} ({origin})"
    try:
        if isinstance(template, bool):
            if isinstance(value, str):
                if value.lower() not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError
                return value.lower() in ("1", "true", "yes")
            if not isinstance(value, bool):
                raise ValueError
            return value
        if isinstance(template, int):
            if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if isinstance(template, float):
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if isinstance(template, list):
            items = [v.strip() for v in value.split(",")] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
                raise ValueError
            return tuple(v.lower() for v in items if v)
        if not isinstance(value, str):
            raise ValueError
        return value
    except (TypeError, ValueError):
        kind = {bool: "true or false", int: "a whole number", float: "a number", list: "a list of strings"}
        wanted = kind.get(type(template), "a string")
        raise ConfigError(f"Invalid value for {where}: expected {wanted}, got {value!r}") from None


def _check(key: str, value: object, origin: str) -> None:
    where = f"{key} ({origin})"
    if key in _MINIMUM and value < _MINIMUM[key]:
        raise ConfigError(f"Invalid value for {where}: must be >= {_MINIMUM[key]}, got {value!r}")
    if key == "model.precision" and value not in PRECISIONS:
        raise ConfigError(f"Invalid value for {where}: must be one of {', '.join(PRECISIONS)}, got {value!r}")
    if key == "index.engine" and value not in ENGINES:
        raise ConfigError(f"Invalid value for {where}: must be one of {', '.join(ENGINES)}, got {value!r}")
    if key == "ray.address" and not value:
        raise ConfigError(f"Invalid value for {where}: give HOST:PORT of the Ray head, or local")
    if key == "index.decoders" and value > MAX_DECODERS:
        raise ConfigError(f"Invalid value for {where}: must be <= {MAX_DECODERS}, got {value!r}")
    if key in ("model.int8_min_cosine", "search.moment_margin") and value > 1:
        raise ConfigError(f"Invalid value for {where}: must be <= 1, got {value!r}")
    if key == "index.extensions" and not all(e.startswith(".") for e in value):
        raise ConfigError(f"Invalid value for {where}: each extension starts with a dot, got {list(value)!r}")


def _read_user_file(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"Cannot read {path}: {e}") from None


def load_settings(home: Home, overrides: dict[str, object] | None = None) -> Settings:
    """Merge the four layers and validate every value; `overrides` are CLI flags keyed `section.key`."""
    base = defaults()
    templates = {f"{s}.{k}": v for s, table in base.items() for k, v in table.items()}
    merged: dict[str, object] = {}
    origins: dict[str, str] = {}

    def put(key: str, value: object, origin: str) -> None:
        if key not in templates:
            raise ConfigError(f"Unknown setting {key} ({origin}); `vidx config` lists the known ones")
        coerced = _coerce(key, value, templates[key], origin)
        _check(key, coerced, origin)
        merged[key] = coerced
        if origin != "default":
            origins[key] = origin

    for key, value in templates.items():
        put(key, value, "default")
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
        if section in _SECTIONS:
            put(f"{section}.{key}", value, f"env {name}")

    for key, value in (overrides or {}).items():
        put(key, value, "flag")

    sections = {}
    for section, cls in _SECTIONS.items():
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
