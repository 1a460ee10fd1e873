"""Compiled text and video encoders, loaded lazily: a query compiles only the text IR."""

from __future__ import annotations

import ctypes
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path

import numpy as np

from vidx.config import Home, Settings
from vidx.config.home import writable
from vidx.errors import VidxError

from . import registry
from .manifest import VIDEO_IR, Manifest
from .pixels import scale


def _never_destroyed(compiled) -> None:
    """Keep a compiled model alive past interpreter shutdown.

    OpenVINO 2026.2-2026.4's CPU plugin aborts the process ("free(): invalid pointer") when it destroys a compiled
    model that holds string tensors (the text IR). One reference that nothing releases means its destructor never
    runs, so any script, the CLI included, ends with its own exit status instead of a signal.
    """
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(compiled))


@cache
def core():
    import openvino as ov
    import openvino_tokenizers  # noqa: F401  the text IR's string ops live in this extension

    return ov.Core()


def cpu_has_bf16() -> bool:
    """AVX512_BF16 or AMX, as OpenVINO sees the CPU: elsewhere bf16 is emulated, slower than f32."""
    return "BF16" in core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def compile_config(precision: str, home: Home, threads: int | None = None) -> dict:
    """FP32 means true f32: without the hint the CPU plugin silently runs bf16 where the CPU has it. INT8 IRs
    run their float layers (those accuracy control kept) in f32 too, as they were judged.

    The compiled-model cache lives in the home; a read-only home (an archive on a read-only mount) goes without.
    `threads` caps inference threads (OpenVINO ignores OMP_NUM_THREADS); None lets it use every core.
    """
    if precision == "bf16":
        if not cpu_has_bf16():
            raise VidxError("This CPU has no bf16 support (AVX512_BF16 or AMX); use fp32 or int8")
        hint = "bf16"
    else:
        hint = "f32"
    config: dict = {"INFERENCE_PRECISION_HINT": hint}
    if threads is not None:
        config["INFERENCE_NUM_THREADS"] = threads
    cache_dir = home.cache / "openvino"
    if writable(cache_dir):
        config["CACHE_DIR"] = str(cache_dir)
    return config


RECENT_TEXTS = 64
WORDS = 16  # S3D splits a text at white space and reads its first 16 words; the rest never reach the embedding


class TextEncoder:
    """Strings in, raw 512-d text embeddings out; tokenisation happens inside the IR."""

    def __init__(self, home: Home, folder: Path | None = None):
        self.folder = folder or registry.require_active(home)
        manifest = Manifest.load(self.folder)
        # One thread: a text is a small inference that a second thread cannot share, only spin after, on the core
        # a query's words side runs on meanwhile (searcher/modes.py).
        config = compile_config("fp32", home, threads=1)
        compiled = core().compile_model(str(self.folder / manifest.files["text"]), "CPU", config)
        _never_destroyed(compiled)
        self._compiled = compiled
        self._lock = threading.Lock()  # one compiled model runs one inference at a time
        # A served query embeds its text twice (its search, then its typical score), and paging through results
        # asks again: the latest texts' vectors are kept (each 2 KB).
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        # The same OpenVINO releases also abort when a string input splits into more words, or holds more texts,
        # than any earlier one on this compiled model: one text of the most words the model reads sizes it once,
        # and texts then go one at a time, cut to those words.
        self._run(" ".join(["a"] * WORDS))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            raise VidxError("Nothing to embed: give at least one text")
        with self._lock:
            return np.stack([self._recalled(" ".join(str(t).split()[:WORDS])) for t in texts])

    def _recalled(self, text: str) -> np.ndarray:
        found = self._recent.get(text)
        if found is None:
            found = self._recent[text] = self._run(text)
            if len(self._recent) > RECENT_TEXTS:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(text)
        return found

    def _run(self, text: str) -> np.ndarray:
        # The string input takes a unicode array; object arrays are rejected by the runtime.
        return np.array(self._compiled(np.array([text], dtype=np.str_))[0][0], dtype=np.float32)


class VideoEncoder:
    """Clips [B, T, H, W, 3] float32 RGB in [0, 1] in, raw 512-d video embeddings out.

    `throughput` compiles for several requests in flight (OpenVINO's throughput hint), as `embed_stream` uses
    them; `threads` caps OpenVINO's threads (None: every core).
    """

    def __init__(
        self,
        home: Home,
        precision: str,
        frames: int,
        size: int,
        folder: Path | None = None,
        threads: int | None = None,
        throughput: bool = False,
    ):
        import openvino as ov

        self.folder = folder or registry.require_active(home)
        self.precision = precision
        self.busy_seconds = 0.0
        manifest = Manifest.load(self.folder)
        if precision.startswith("int8") and VIDEO_IR[precision] not in manifest.files.values():
            raise VidxError("No INT8 model yet: run `vidx model quantize` first, or `vidx model use fp32`")
        model = core().read_model(str(self.folder / VIDEO_IR[precision]))
        wanted = [-1, frames, size, size, 3]
        if [d.get_length() if d.is_static else -1 for d in model.input(0).get_partial_shape()] != wanted:
            model.reshape({model.input(0).get_any_name(): ov.PartialShape(wanted)})
        config = compile_config(precision, home, threads)
        if throughput:
            config["PERFORMANCE_HINT"] = "THROUGHPUT"
        self._compiled = core().compile_model(model, "CPU", config)

    @property
    def inference_precision(self) -> str:
        """What the CPU plugin really computes in (f32, bf16): the hint it was compiled with, as it took it."""
        return self._compiled.get_property("INFERENCE_PRECISION_HINT").to_string()

    @property
    def threads(self) -> int:
        return int(self._compiled.get_property("INFERENCE_NUM_THREADS"))

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        folder: Path | None = None,
        precision: str | None = None,
        threads: int | None = None,
        throughput: bool = False,
    ):
        """The encoder `vidx index` uses: the active (or given) model, the clip shape and precision of `settings`."""
        clip = settings.clip
        precision = precision or settings.model.precision
        return cls(settings.home, precision, clip.frames, clip.size, folder, threads, throughput)

    def embed(self, clips: np.ndarray) -> np.ndarray:
        if len(clips) == 0:
            return np.zeros((0, 512), np.float32)
        return np.array(self._compiled(np.ascontiguousarray(clips, dtype=np.float32))[0], dtype=np.float32)

    def embed_stream(self, batches: Iterable[Sequence[np.ndarray]]) -> Iterator[np.ndarray]:
        """Vectors for each batch of uint8 clips [T, H, W, 3], in order. Several batches are in flight: the
        next one is scaled into a request's own input while the model runs the others.

        `busy_seconds` grows by the time at least one request was running.
        """
        import openvino as ov

        # Twice what the streams run at once: a stream that finishes finds the next input already waiting.
        count = 2 * max(1, self._compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        free = deque(_Request(self._compiled.create_infer_request()) for _ in range(count))
        running: deque[_Request] = deque()
        covered = 0.0
        try:
            for batch in batches:
                if not free:
                    request = running.popleft()
                    vectors, covered = request.collect(covered, self)
                    free.append(request)
                    yield vectors
                request = free.popleft()
                request.start(batch, ov)
                running.append(request)
            while running:
                vectors, covered = running.popleft().collect(covered, self)
                yield vectors
        finally:
            for request in running:
                request.infer.wait()


class _Request:
    """One infer request with its own float input buffer, reused batch after batch."""

    def __init__(self, infer):
        self.infer = infer
        self.buffer = np.empty(0, np.float32)
        self.started = 0.0

    def start(self, clips: Sequence[np.ndarray], ov) -> None:
        shape = (len(clips), *clips[0].shape)
        if self.buffer.shape[1:] != shape[1:] or len(self.buffer) < len(clips):
            self.buffer = np.empty(shape, np.float32)
        inputs = self.buffer[: len(clips)]
        for i, frames in enumerate(clips):
            scale(frames, out=inputs[i])
        self.infer.set_input_tensor(ov.Tensor(inputs, shared_memory=True))
        self.started = time.perf_counter()
        self.infer.start_async()

    def collect(self, covered: float, encoder: VideoEncoder) -> tuple[np.ndarray, float]:
        """Wait for the vectors; add the time this request ran beyond `covered` (the union of run times)."""
        self.infer.wait()
        # No completion callback: it would tie this object to the request in a cycle the collector cannot see.
        ended = self.started + self.infer.latency / 1000
        start = max(self.started, covered)
        if ended > start:
            encoder.busy_seconds += ended - start
            covered = ended
        return np.array(self.infer.get_output_tensor(0).data, dtype=np.float32), covered
