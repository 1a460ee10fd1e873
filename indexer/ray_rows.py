"""The rows of a Ray engine's run as its workers finish them, watched over: a run whose workers all went silent
(every node able to run one lost) ends instead of waiting for ever."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import ray

from vidx.errors import VidxError

from .ray_compat import stop_execution


class Rows:
    """Each file's row as soon as its worker is done; ends early when no worker has shown life for `silence`
    seconds (`startup` before the first), as when every node able to run one is lost."""

    def __init__(self, dataset, ledger, silence: float, startup: float):
        self.dataset = dataset
        self.ledger = ledger
        self.limits = (silence, startup)
        self.out: queue.Queue = queue.Queue()
        self.pump = threading.Thread(target=self._pump, name="vidx-ray-rows", daemon=True)

    def _pump(self) -> None:
        try:
            # Whole blocks, nothing prefetched: a finished file is not held back until the next one finishes.
            for batch in self.dataset.iter_batches(batch_size=None, prefetch_batches=0, batch_format="numpy"):
                for i in range(len(batch["path"])):
                    self.out.put({key: column[i] for key, column in batch.items()})
        except Exception as e:  # noqa: BLE001 - handed to the driver's thread, which raises it
            self.out.put(e)
        else:
            self.out.put(None)

    def __iter__(self) -> Iterator[dict]:
        self.pump.start()
        silence, startup = self.limits
        while True:
            try:
                item = self.out.get(timeout=1.0)
            except queue.Empty:
                alive, quiet = ray.get(self.ledger.silence.remote())
                if quiet > (silence if alive else startup):
                    return
                continue
            if item is None:
                return
            if isinstance(item, Exception):
                lines = [line for line in str(item).splitlines() if line.strip()]
                raise VidxError(f"Ray failed: {type(item).__name__}: {lines[-1] if lines else ''}") from None
            yield item

    def close(self) -> None:
        """Stop an execution that is still running (given up on), before Ray itself is shut down."""
        if not self.pump.is_alive():
            return
        self.ledger.stop.remote()  # workers still queued return at once
        # Ray Data's executor thread would otherwise outlive the run and fail noisily once Ray is shut down.
        stop_execution(self.dataset)
        self.pump.join(timeout=10)
