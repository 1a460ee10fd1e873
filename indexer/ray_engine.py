"""The Ray engine: Ray Data actors decode and embed the files on a cluster; this process commits them.

The driver (where `vidx index` runs) keeps the lock, the plan and the store, and commits video by video
through the same writer as the local engine. Each actor compiles the model once, decodes its files in a
decoding process of its own (a stalled or crashing decoder fails that file alone) and sends back clip times and
vectors, never pixels. With a speech model installed, each actor also hears the files it decodes, in a speech
process of its own (ray_speech.py), and sends back their lines. The models reach the actors through Ray's object
store (`ray.put` of their files), so they need no path to the home; the videos must be at the same path on every
node (a shared mount). Ray is imported here, in ray_session.py, ray_connect.py, ray_speech.py, ray_rows.py and
ray_compat.py only: the local engine and the query path never load it.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import ray
import ray.data
from ray.actor import ActorHandle
from ray.exceptions import RayError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from vidx.config import Home, Settings
from vidx.errors import VidxError
from vidx.media.clips import Clip
from vidx.model.manifest import VIDEO_IR, Manifest
from vidx.model.shelf import MANIFEST
from vidx.store import VideoInfo

from .budget import budget
from .commit import VideoUnfinished
from .decoders import DecoderPool
from .plan import VideoJob, content_hash
from .ray_rows import Rows
from .ray_session import quiet, session
from .ray_speech import SpeechFiles, WorkerSpeech, as_row, digest, from_row, ship
from .speech_words import SpeechModel, installed_speech
from .stages import NO_PIXELS, ClipReady, Event, VideoDone, VideoFailed, embed

log = logging.getLogger("vidx")

# A file whose worker process died this many times (killed it, or its node was lost) fails instead of a retry.
MAX_ATTEMPTS = 2
# Test hook: a file name on which the worker process kills itself (stands for an out-of-memory kill).
DEBUG_KILL = "VIDX_DEBUG_KILL_WORKER"
# Seconds the run waits for its first worker to start (a cluster pulling the model, compiling it) at least.
STARTUP_SECONDS = 120.0


@dataclass(frozen=True)
class ModelFiles:
    """The video IR as the workers receive it: file name -> object-store ref of its bytes, and what it must be."""

    refs: dict
    sha256: str  # of the files' bytes, in name order
    space: str  # the driver's vector space (Manifest.vector_space)
    precision: str


class Ledger:
    """On the driver's node: the models' refs, how often each file was started (across actor restarts and lost
    nodes), when a worker last showed life, and whether the driver has given up."""

    def __init__(self, model: ModelFiles, speech: SpeechFiles | None = None) -> None:
        # Handed out here rather than as the workers' constructor arguments, which Ray would keep in the object
        # store and warn (at error level) that a restarted actor could lose.
        self._model = model
        self._speech = speech
        self.attempts: dict[str, int] = {}
        self.last = time.monotonic()
        self.alive = False
        self.stopped = False

    def model(self) -> ModelFiles:
        return self._model

    def speech(self) -> SpeechFiles | None:
        return self._speech

    def begin(self, path: str) -> int:
        """This start's number for `path`, 1 for the first; 0 once the driver has given up."""
        if self.stopped:
            return 0
        self.attempts[path] = self.attempts.get(path, 0) + 1
        self.beat()
        return self.attempts[path]

    def beat(self) -> None:
        self.last = time.monotonic()
        self.alive = True

    def silence(self) -> tuple[bool, float]:
        """Whether any worker has shown life yet, and the seconds since one last did."""
        return self.alive, time.monotonic() - self.last

    def stop(self) -> None:
        self.stopped = True


class Worker:
    """One Ray Data actor: compiles the model once, then decodes, embeds and hears one file per call."""

    def __init__(self, settings: Settings, ledger, debug: dict[str, str]):
        os.environ.update(debug)
        self.settings = settings
        self.ledger = ledger
        self.node = ray.util.get_node_ip_address()
        self.fatal: str | None = None
        self.beaten = 0.0
        ledger.beat.remote()
        # Ray gives the actor CPUs and sets OMP_NUM_THREADS, which OpenVINO ignores: size its pool here, and
        # share the CPUs with the speech process as a machine's cores are shared (budget.py).
        cpus = max(1, int(ray.get_runtime_context().get_assigned_resources().get("CPU", 1.0)))
        speech_files = ray.get(ledger.speech.remote())
        cores = budget(settings, cpus, speech=speech_files is not None)
        self.threads = cores.inference_threads or cpus
        self.speech: WorkerSpeech | None = None
        try:
            self.encoder = self._compile(ray.get(ledger.model.remote()))
            if speech_files is not None:
                self.speech = WorkerSpeech(speech_files, cores.speech_threads, settings.index.timeout)
        except VidxError as e:
            self.fatal = str(e)
        # One decoding process kept across this worker's files; a file that stalls or kills it fails alone.
        self.decoder = DecoderPool(settings, 1)
        self.hasher = ThreadPoolExecutor(1)
        ledger.beat.remote()

    def _compile(self, model: ModelFiles):
        from vidx.model.runtime import VideoEncoder

        blobs = {name: ray.get(ref) for name, ref in model.refs.items()}
        if digest(blobs) != model.sha256:
            raise VidxError("the model arrived damaged (its bytes differ from the driver's)")
        scratch = Path(tempfile.mkdtemp(prefix="vidx-worker-"))
        try:
            folder = scratch / "model"
            folder.mkdir()
            for name, data in blobs.items():
                (folder / name).write_bytes(data)
            space = Manifest.load(folder).vector_space(model.precision)
            if space != model.space:
                raise VidxError(f"its model is {space}, the index holds {model.space}")
            clip = self.settings.clip
            encoder = VideoEncoder(
                Home(scratch), model.precision, clip.frames, clip.size, folder, self.threads, throughput=True
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)  # compiled: the files and OpenVINO's cache are not needed
        wanted = "bf16" if model.precision == "bf16" else "f32"
        if encoder.inference_precision != wanted:
            raise VidxError(f"it computes in {encoder.inference_precision}, the index holds {model.precision} vectors")
        return encoder

    def _beat(self) -> None:
        """Tell the ledger this worker is alive, at most once a second."""
        if time.monotonic() - self.beaten > 1.0:
            self.ledger.beat.remote()
            self.beaten = time.monotonic()

    def __call__(self, batch: dict) -> dict:
        job = VideoJob(Path(os.fsdecode(bytes(batch["path"][0]))), 0, int(batch["size"][0]), 0, str(batch["hash"][0]))
        if self.fatal:
            return self._row(job, "fatal", f"worker on {self.node}: {self.fatal}")
        attempt = ray.get(self.ledger.begin.remote(str(job.path)))
        if attempt == 0:
            return self._row(job, "cancelled", "")
        if attempt > MAX_ATTEMPTS:
            return self._row(
                job, "failed", f"{job.path}: the Ray worker died on it {MAX_ATTEMPTS} times (out of memory?); skipped"
            )
        if os.environ.get(DEBUG_KILL) == job.path.name:
            os.kill(os.getpid(), signal.SIGKILL)
        if not job.path.parent.is_dir():
            return self._row(
                job, "failed", f"{job.path}: not found on {self.node}; is the library mounted at the same path there?"
            )
        hashing = self.hasher.submit(content_hash, job.path) if not job.hash else None
        clips, info, error, decoding = [], None, None, 0.0
        busy = self.encoder.busy_seconds
        if self.speech:
            self.speech.start(job.path)  # heard in the speech process while the pictures are decoded and embedded
        self.decoder.add([job])
        # The local engine's embedder: requests kept in flight on the worker's threads.
        for event in embed(self.decoder.events(), self.encoder, self.settings.index.batch):
            self._beat()
            if isinstance(event, ClipReady):
                clips.append((event.clip.number, event.clip.start, event.clip.end, event.vector))
                continue
            decoding = event.seconds
            if isinstance(event, VideoDone):
                info = event.info
            else:
                error = event.error
        if info is not None and hashing is not None:
            try:
                info = replace(info, hash=hashing.result())
            except OSError as e:
                info, error = None, f"{job.path}: cannot read ({e.strerror or e})"
        seconds = (decoding, self.encoder.busy_seconds - busy)
        heard = self.speech.wait(self._beat) if self.speech else None
        if info is None:
            assert error is not None, "the decoder ends each file with VideoDone or VideoFailed"
            return self._row(job, "failed", error, seconds=seconds)
        return self._row(job, "done", "", info, clips, seconds, heard)

    def _row(
        self, job: VideoJob, status: str, reason: str, info=None, clips=(), seconds=(0.0, 0.0), heard=None
    ) -> dict:
        times = np.array([c[:3] for c in clips], np.float64).reshape(-1, 3)
        vectors = np.stack([c[3] for c in clips]).astype(np.float32) if clips else np.zeros((0, 0), np.float32)
        # Paths and reasons travel as bytes: Arrow's strings are UTF-8, and a file name need not be.
        return {
            "path": [os.fsencode(job.path)],
            "status": [status],
            "reason": [os.fsencode(reason)],
            "hash": [info.hash if info else ""],
            "duration": [info.duration if info else 0.0],
            "fps": [info.fps if info else 0.0],
            "frames": [info.frames if info else 0],
            "clips": [times.tobytes()],
            "vectors": [vectors.tobytes()],
            "decode_seconds": [seconds[0]],
            "embed_seconds": [seconds[1]],
            **as_row(heard),
        }


def _started(ledger: ActorHandle) -> None:
    """Wait for the ledger, the run's first actor on this machine's node: it fails to start where vidx cannot be
    imported, as when that node was started from a Python without vidx."""
    try:
        ray.get(ledger.silence.remote())
    except RayError as e:
        lines = [line for line in str(e).splitlines() if line.strip()]
        raise VidxError(
            f"The Ray engine cannot run on this machine's Ray node: {lines[-1] if lines else type(e).__name__}; "
            "start that node (ray start) from the environment vidx is installed in"
        ) from None


def _events(job: VideoJob, row: dict, speech: SpeechModel | None) -> Iterator[Event]:
    """A worker's row as the writer takes it: each clip with its vector, then the file's end with its speech."""
    seconds = float(row["decode_seconds"])
    if row["status"] != "done":
        yield VideoFailed(job, os.fsdecode(bytes(row["reason"])), seconds)
        return
    times = np.frombuffer(row["clips"], np.float64).reshape(-1, 3)
    vectors = np.frombuffer(row["vectors"], np.float32).reshape(len(times), -1)
    for (number, start, end), vector in zip(times, vectors, strict=True):
        yield ClipReady(job, Clip(int(number), float(start), float(end), NO_PIXELS), vector)
    info = VideoInfo(str(row["hash"]), float(row["duration"]), float(row["fps"]), int(row["frames"]))
    yield VideoDone(job, info, seconds, from_row(row, speech))


class RayEngine:
    """Embeds a run's files on Ray (index.engine = "ray")."""

    lazy_hash = True  # the workers hash the files the plan leaves unhashed, as they read them
    hears_speech = True  # the workers hear the files they decode, with the installed speech model

    def __init__(self, settings: Settings, model_folder: Path, vector_space: str):
        self.settings = settings
        self.folder = model_folder
        self.space = vector_space
        self.speech = installed_speech(settings)
        self.embed_seconds = 0.0

    def embed(self, jobs: list[VideoJob]) -> Generator[Event | VideoUnfinished, None, None]:
        pending = {os.fsencode(j.path): j for j in jobs}
        with quiet(), session(self.settings.ray.address):
            workers = self._pool_size(len(jobs))
            here = ray.get_runtime_context().get_node_id()
            # On the driver's node, so losing a worker node loses no count.
            where = NodeAffinitySchedulingStrategy(here, soft=False)
            ledger = (
                ray.remote(Ledger)
                .options(num_cpus=0, scheduling_strategy=where)
                .remote(self._model(), ship(self.speech) if self.speech else None)
            )
            # Ray types an actor as its handle or its class (so that calls to its methods check); it is the handle.
            assert isinstance(ledger, ActorHandle)
            _started(ledger)
            silence = 2 * self.settings.index.timeout  # a live worker yields a clip at least every index.timeout
            rows = Rows(self._dataset(jobs, workers, ledger), ledger, silence, max(silence, STARTUP_SECONDS))
            try:
                for row in rows:
                    path = bytes(row["path"])
                    if row["status"] == "fatal":
                        raise VidxError(f"The Ray engine cannot embed: {os.fsdecode(bytes(row['reason']))}")
                    if row["status"] == "cancelled" or path not in pending:
                        continue  # delivered twice (a retried task): the file is committed once
                    self.embed_seconds += float(row["embed_seconds"])
                    yield from _events(pending.pop(path), row, self.speech)
            finally:
                rows.close()
                ray.kill(ledger)
        for job in pending.values():
            yield VideoUnfinished(
                job, f"{job.path}: not indexed, no Ray worker made progress for {silence:g} s; the next run tries it"
            )

    def _pool_size(self, files: int) -> int:
        cpus = self.settings.ray.cpus_per_worker
        fit = sum(int(n["Resources"].get("CPU", 0) // cpus) for n in ray.nodes() if n["Alive"])
        if fit == 0:
            raise VidxError(f"No node of the Ray cluster has {cpus} CPUs for a worker; lower ray.cpus_per_worker")
        wanted = self.settings.ray.workers or fit
        if wanted > fit:
            log.info("The Ray cluster has CPUs for %d workers of %d CPUs, not %d: starting %d.", fit, cpus, wanted, fit)
        return min(wanted, fit, files)

    def _model(self) -> ModelFiles:
        precision = self.settings.model.precision
        xml = VIDEO_IR[precision]
        names = (MANIFEST, xml, str(Path(xml).with_suffix(".bin")))
        blobs = {name: (self.folder / name).read_bytes() for name in names}
        refs = {name: ray.put(data) for name, data in blobs.items()}
        return ModelFiles(refs, digest(blobs), self.space, precision)

    def _dataset(self, jobs: list[VideoJob], workers: int, ledger):
        # The biggest files first, so a long one does not start last and hold the run's end.
        biggest_first = sorted(jobs, key=lambda j: -j.size)
        items = [{"path": os.fsencode(j.path), "size": j.size, "hash": j.hash} for j in biggest_first]
        debug = {k: v for k, v in os.environ.items() if k.startswith("VIDX_DEBUG_")}
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            Worker,
            # One file per call, one call at a time per actor: a file never waits behind a slow one.
            compute=ray.data.ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=1),
            batch_size=1,
            num_cpus=self.settings.ray.cpus_per_worker,
            fn_constructor_kwargs={"settings": self.settings, "ledger": ledger, "debug": debug},
        )
        context = dataset.context
        context.enable_progress_bars = False  # vidx reports progress itself
        context.print_on_execution_start = False
        context.enable_auto_log_stats = False
        context.max_errored_blocks = 0  # a file's failure comes back as a row: an error here is a bug
        # A lost node kills actors as they start; a worker that cannot start at all (vidx missing on a node)
        # still fails the run, with its own error.
        context.max_consecutive_actor_init_deaths = 5
        context.execution_no_progress_timeout_s = -1  # the ledger's watchdog bounds the run instead
        return dataset
