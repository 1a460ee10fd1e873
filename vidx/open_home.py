"""One home as a `Library` holds it open: its settings, and one catalogue connection per thread."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from vidx.config import Home, Settings, load_settings, resolve_home

if TYPE_CHECKING:
    from vidx.store import Catalog


class OpenHome:
    """The home, its settings (read again when the library changes its config.toml) and the catalogue."""

    def __init__(self, home: str | os.PathLike | None, settings: dict | Settings | None):
        if isinstance(settings, Settings):
            self.settings, self.overrides = settings, settings.overrides
        else:
            self.overrides = dict(settings or {})
            self.settings = load_settings(Home(resolve_home(home)), self.overrides)
        self.home = self.settings.home
        self._local = threading.local()
        self._catalogs: list[Catalog] = []
        self._lock = threading.Lock()

    @property
    def catalog(self) -> Catalog:
        """This thread's connection to the catalogue (SQLite connections stay in the thread that made them)."""
        catalog = getattr(self._local, "catalog", None)
        if catalog is None or catalog.outdated():
            from vidx.store import Catalog

            catalog = Catalog(self.home, self.settings.index.ann_threshold)
            self._local.catalog = catalog
            with self._lock:
                self._catalogs.append(catalog)
        return catalog

    def catalog_to_write(self) -> Catalog:
        """This thread's catalogue, opened again if a full disk left it read-only: there may be room now."""
        catalog = getattr(self._local, "catalog", None)
        if catalog is not None and catalog.unwritable is not None:
            self._local.catalog = None
        return self.catalog

    def reload(self) -> None:
        """The settings again, after a change to the home's config.toml; the overrides still win."""
        self.settings = load_settings(self.home, self.overrides)

    def close(self) -> None:
        with self._lock:
            if self._catalogs:
                from vidx.store.vector_index import release

                release(self.home.index_dir)  # the index this process held open for this home
            for catalog in self._catalogs:
                catalog.close()
            self._catalogs.clear()
        self._local = threading.local()
