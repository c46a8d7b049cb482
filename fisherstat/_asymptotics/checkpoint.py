"""Checkpoints of :func:`fisherstat.check_asymptotics`: finished chunks saved as a study runs.

:class:`Checkpoint` keeps the results of the finished chunks of replicates in one ``.npz``
file, keyed by :func:`study_signature` (a hash of everything that determines them), so that
a second call with the same arguments resumes where the first one stopped.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
import zlib

import numpy as np

__all__ = ["Checkpoint", "checkpoint_path", "study_signature", "CHECKPOINT_VERSION"]

# 2: chunks hold the boundary estimates (bnd_idx, bnd_msg), and a study may have a dgp
CHECKPOINT_VERSION = "fisherstat-check-2"

#: The arrays of one finished chunk.
CHUNK_KEYS = ("theta", "se", "fail_idx", "fail_msg", "bnd_idx", "bnd_msg")


def study_signature(model, theta0, sizes, reps, chunk_sizes, seed, designs,
                    dgp: bytes | None = None) -> str:
    """Hash of everything that determines the chunks' results (see ``checkpoint``); ``dgp``
    identifies the data-generating process of a misspecification study."""
    h = hashlib.sha256()
    h.update(f"{CHECKPOINT_VERSION}|{type(model).__module__}.{type(model).__qualname__}|"
             f"{model!r}|{model.param_names}|{sizes}|{reps}|{chunk_sizes}|"
             f"{seed.entropy!r}|{seed.spawn_key!r}".encode())
    for a in (model.lower, model.upper, theta0):
        h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    for X in designs:
        if X is not None:
            h.update(repr(X.shape).encode() + np.ascontiguousarray(X).tobytes())
    if dgp is not None:
        h.update(b"|dgp|" + dgp)
    return h.hexdigest()


def checkpoint_path(checkpoint) -> str:
    """The checkpoint's path as a str, refused early if it is no path or cannot be written."""
    if isinstance(checkpoint, bytes) or not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(
            f"checkpoint must be None or a file path (str or os.PathLike), got "
            f"{type(checkpoint).__name__}")
    path = os.fspath(checkpoint)
    if not path or os.path.basename(path) == "":
        raise ValueError(f"checkpoint must be a file path, got {path!r}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"checkpoint {path!r}: the directory {folder!r} does not exist")
    return path


class Checkpoint:
    """Finished chunks in one ``.npz`` file, rewritten atomically after every chunk.

    Each write goes to ``PATH.tmp``, is flushed to disk and then renamed over ``PATH``
    (``os.replace``, atomic on POSIX and Windows), so a study killed at any moment leaves
    either the previous or the new checkpoint, never a half-written one (a left-over
    ``PATH.tmp`` is ignored and overwritten). A file damaged otherwise is refused with a
    ``ValueError`` rather than trusted.
    """

    _ERRORS = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error)

    def __init__(self, path, signature: str):
        self.path, self.signature = checkpoint_path(path), signature
        self.arrays: dict[str, np.ndarray] = {}
        self.done: dict[tuple[int, int], dict] = {}
        if os.path.exists(self.path):
            self._load()

    def check_writable(self):
        """Refuse a path this process cannot write now, not after the first chunk."""
        try:
            with open(self.path + ".tmp", "wb"):
                pass
            os.remove(self.path + ".tmp")
        except OSError as exc:
            raise ValueError(f"checkpoint {self.path!r} cannot be written ({exc}); choose "
                             "another path") from None

    def _load(self):
        try:
            with np.load(self.path, allow_pickle=False) as f:
                arrays = {k: f[k] for k in f.files}
        except self._ERRORS as exc:
            raise ValueError(
                f"checkpoint {self.path!r} exists but is not a readable .npz file "
                f"({type(exc).__name__}: {exc}); it may be damaged: remove it or choose "
                "another path"
            ) from None
        if str(arrays.get("signature", np.array(""))) != self.signature:
            raise ValueError(
                f"checkpoint {self.path!r} was written by a study with different arguments "
                "(model, theta0, n, reps, rng, x, dgp or chunk_size) or by another version "
                "of fisherstat; remove it or choose another path"
            )
        try:
            done = arrays["done"].reshape(-1, 2)
            chunks = {(int(i), int(j)): {k: arrays[f"{k}_{i}_{j}"]
                                         for k in CHUNK_KEYS}
                      for i, j in done}
        except self._ERRORS as exc:
            raise ValueError(
                f"checkpoint {self.path!r} is incomplete ({type(exc).__name__}: {exc}); it "
                "may be damaged: remove it or choose another path"
            ) from None
        self.arrays, self.done = arrays, chunks

    def add(self, key, result):
        i, j = key
        self.done[key] = result
        for k, v in result.items():
            self.arrays[f"{k}_{i}_{j}"] = v
        self.arrays["signature"] = np.array(self.signature)
        self.arrays["done"] = np.array(sorted(self.done), dtype=np.int64).reshape(-1, 2)
        tmp = self.path + ".tmp"
        with open(tmp, "wb") as fh:
            np.savez(fh, **self.arrays)
            fh.flush()
            os.fsync(fh.fileno())  # on disk before the rename (a crash, not only a kill)
        os.replace(tmp, self.path)

