"""One writer per sample: two runs of the same suite, model and endpoint never ask alike.

Before asking a sample a run claims it: an exclusive ``flock`` on a small file
named after the sample, held until the sample's record is stored. A second
``tokenscope run`` (or the app) finds the lock taken and moves on to the next
sample, so both make progress without overlap. The kernel drops the lock when
its process dies, even by ``kill -9``: a claim never goes stale.

Holding the lock is not enough: the other run may have finished the sample
after this one planned. So once a claim is won, the store's lines appended
since the plan was made are read for an ``ok`` record of that sample; the
store stays the only record of what is done.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from pathlib import Path

from tokenscope.data import store

CLAIMS_DIR = ".tokenscope-claims"


def _digest(*parts: str) -> str:
    # Prompt ids and model names come from users' files: hash them into safe names.
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:24]


class Claim:
    """An exclusive right to ask one sample, until ``release``."""

    def __init__(self, fd: int, path: Path) -> None:
        self._fd: int | None = fd
        self.path = path

    def release(self, *, stored_ok: bool = False) -> None:
        """Let the sample go; once its ok record is stored its lock file is removed.

        Removing it only then is safe: whoever locks a new file of that name
        afterwards finds the ok record in the store and skips the sample.
        """
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if stored_ok:
            with contextlib.suppress(OSError):
                self.path.unlink()
        os.close(fd)


class Claims:
    """The samples of one (suite, model, endpoint), as they are claimed and stored.

    Make it before loading the store for the plan: it remembers how far the
    store went, and every record appended after that is checked on each claim.
    """

    def __init__(
        self, suite: str, model: str, endpoint: str | None, results_dir: Path | None = None
    ) -> None:
        self.suite, self.model, self.endpoint = suite, model, endpoint
        self._store = store.store_path(results_dir)
        self._dir = self._store.parent / CLAIMS_DIR / _digest(suite, model, endpoint or "")
        try:
            self._offset = self._store.stat().st_size
        except OSError:
            self._offset = 0
        self._done: set[tuple[str, int]] = set()

    def claim(self, prompt_id: str, sample_index: int) -> Claim | None:
        """The claim on this sample, or None when another run is asking it or stored it."""
        self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._dir / f"{_digest(prompt_id)}-{sample_index}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        claim = Claim(fd, path)
        try:
            done = (prompt_id, sample_index) in self._stored_since_plan()
        except BaseException:
            claim.release()
            raise
        if done:
            claim.release(stored_ok=True)
            return None
        return claim

    def _stored_since_plan(self) -> set[tuple[str, int]]:
        """(prompt_id, sample_index) of ok records other runs appended since the plan."""
        try:
            fd = os.open(self._store, os.O_RDONLY)
        except FileNotFoundError:
            return self._done
        try:
            # The writers append whole lines under LOCK_EX: a shared lock sees no half line.
            fcntl.flock(fd, fcntl.LOCK_SH)
            size = os.fstat(fd).st_size
            if size <= self._offset:
                return self._done
            os.lseek(fd, self._offset, os.SEEK_SET)
            data = b""
            while len(data) < size - self._offset:
                part = os.read(fd, size - self._offset - len(data))
                if not part:
                    break
                data += part
        finally:
            os.close(fd)
        end = data.rfind(b"\n") + 1
        self._offset += end
        for line in data[:end].splitlines():
            self._note(line)
        return self._done

    def _note(self, line: bytes) -> None:
        try:
            record = json.loads(line)
        except ValueError:
            return  # a torn line from a crash; the loader reports it
        if not isinstance(record, dict) or record.get("status") != "ok":
            return
        if (
            record.get("suite") == self.suite
            and record.get("model") == self.model
            and record.get("endpoint") == self.endpoint
        ):
            prompt_id, index = record.get("prompt_id"), record.get("sample_index")
            if isinstance(prompt_id, str) and isinstance(index, int):
                self._done.add((prompt_id, index))
