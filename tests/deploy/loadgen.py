"""A small closed-loop load generator: one thread per host posting real windows to /infer.

Used by the rolling-update scenario to prove that no request fails while the fleet changes
artifact. It counts every non-200 answer and every connection error as a failure.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import requests


@dataclass
class HostStats:
    ok: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    models: set[str] = field(default_factory=set)


class LoadGenerator:
    def __init__(self, urls: dict[str, str], window: list, pause_s: float = 0.02) -> None:
        self.urls = urls
        self.body = {"x": window}
        self.pause_s = pause_s
        self.stats = {name: HostStats() for name in urls}
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._drive, args=(name, url), daemon=True)
            for name, url in urls.items()
        ]

    def _drive(self, name: str, url: str) -> None:
        st = self.stats[name]
        with requests.Session() as s:
            while not self._stop.is_set():
                try:
                    r = s.post(f"{url}/infer", json=self.body, timeout=5)
                    if r.status_code == 200 and len(r.json().get("latent", [])) == 64:
                        st.ok += 1
                        st.models.add(r.headers.get("X-Model", "?"))
                    else:
                        st.failed += 1
                        st.errors.append(f"{r.status_code} {r.text[:200]}")
                except requests.RequestException as exc:
                    st.failed += 1
                    st.errors.append(repr(exc)[:200])
                time.sleep(self.pause_s)

    def __enter__(self) -> LoadGenerator:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=10)

    def summary(self) -> str:
        return ", ".join(
            f"{n}: {s.ok} ok / {s.failed} failed, models {sorted(s.models)}"
            for n, s in self.stats.items()
        )
