"""Save a fitted model to a file and load it back only if it is exactly what we saved.

Artifacts are only ever loaded from our own instance folder, with the SHA-256 and library
versions that ``save_model`` returned recorded in the database (ModelVersion). They are pickles
(joblib), and unpickling runs code, so ``load_model`` never unpickles a file whose checksum
differs from the recorded one, nor one written under other library versions (a pickle of a
scikit-learn estimator is only supported by the version that wrote it). Never point it at a
file from anywhere else.

File layout: one header line ``SALDO-RISK-MODEL 1 <json>\\n`` (versions and feature names,
readable without unpickling) followed by the joblib pickle. The checksum covers the whole file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
from os import PathLike

import joblib
import numpy as np
import pandas as pd
import sklearn

MAGIC = b"SALDO-RISK-MODEL 1 "


class ArtifactError(Exception):
    """The model file is missing, altered, or written by other library versions."""


def library_versions() -> dict:
    """The versions a pickle depends on, as recorded with every artifact."""
    return {
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }


def save_model(model, path: str | PathLike, *, magic: bytes = MAGIC) -> dict:
    """Write ``model`` to ``path`` (atomically); return sha256, versions and feature names.

    ``magic`` names the kind of model in the header (the reply classifier has its own)."""
    names = getattr(model, "feature_names_in_", None)
    header = {
        "versions": library_versions(),
        "feature_names": [str(n) for n in names] if names is not None else None,
    }
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    data = magic + json.dumps(header, sort_keys=True).encode() + b"\n" + buffer.getvalue()
    tmp = f"{os.fspath(path)}.tmp"
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return {"sha256": hashlib.sha256(data).hexdigest(), **header}


def read_header(path: str | PathLike, *, magic: bytes = MAGIC) -> dict:
    """The artifact's header (versions, feature names), without unpickling anything."""
    with open(path, "rb") as handle:
        return _parse_header(handle.readline(), magic)


def load_model(path: str | PathLike, expected_sha256: str, expected_versions: dict, *,
               magic: bytes = MAGIC):
    """Load a model saved by ``save_model``, refusing anything that is not exactly it.

    Raises ArtifactError, before unpickling, when the file's SHA-256 differs from
    ``expected_sha256``, or when ``expected_versions`` (as recorded at save time) or the
    file's own header differ from the running library versions. Python must match in
    major.minor; scikit-learn, numpy and pandas exactly.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ArtifactError(f"cannot read model file {os.fspath(path)!r}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if not expected_sha256 or digest != expected_sha256.lower():
        raise ArtifactError(f"checksum mismatch for {os.fspath(path)!r}: refusing to load it")
    line_end = data.find(b"\n")
    header = _parse_header(data[: line_end + 1] if line_end >= 0 else b"", magic)
    running = library_versions()
    for source, versions in (("recorded", expected_versions or {}),
                             ("file", header.get("versions", {}))):
        problems = _version_problems(versions, running)
        if problems:
            raise ArtifactError(f"library versions differ from the {source} ones: "
                                + "; ".join(problems))
    return joblib.load(io.BytesIO(data[line_end + 1:]))


def _parse_header(line: bytes, magic: bytes = MAGIC) -> dict:
    if not line.startswith(magic):
        kind = magic.decode().split()[0].removeprefix("SALDO-").removesuffix("-MODEL").lower()
        raise ArtifactError(f"not a Saldo {kind} model file")
    try:
        return json.loads(line[len(magic):])
    except ValueError as exc:
        raise ArtifactError("unreadable model file header") from exc


def _version_problems(expected: dict, running: dict) -> list[str]:
    problems = []
    for name, current in running.items():
        wanted = expected.get(name)
        if wanted is None:
            problems.append(f"{name}: not recorded")
            continue
        same = (_major_minor(wanted) == _major_minor(current) if name == "python"
                else str(wanted) == current)
        if not same:
            problems.append(f"{name}: saved with {wanted}, running {current}")
    return problems


def _major_minor(version) -> tuple:
    return tuple(str(version).split(".")[:2])
