"""Model artifacts: round trip, and refusal before unpickling anything doubtful."""

from __future__ import annotations

import hashlib
import io
import json
import pathlib

import joblib
import numpy as np
import pytest

from risk.artifact import (
    MAGIC,
    ArtifactError,
    library_versions,
    load_model,
    read_header,
    save_model,
)
from risk.model import LatePaymentModel


class Tripwire:
    """Unpickling this touches a file: proof that a refused artifact was never unpickled."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.path),))


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    return LatePaymentModel(candidates=("logistic",), random_state=0).fit(X, X[:, 0] > 0), X


def test_round_trip(tmp_path, fitted):
    model, X = fitted
    record = save_model(model, tmp_path / "model.joblib")
    assert set(record) == {"sha256", "versions", "feature_names"}
    assert record["versions"] == library_versions()
    assert set(record["versions"]) == {"python", "sklearn", "numpy", "pandas"}
    data = (tmp_path / "model.joblib").read_bytes()
    assert record["sha256"] == hashlib.sha256(data).hexdigest()
    assert read_header(tmp_path / "model.joblib")["versions"] == record["versions"]
    loaded = load_model(tmp_path / "model.joblib", record["sha256"], record["versions"])
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_feature_names_are_recorded(tmp_path, ar_ledger):
    from risk.features import FEATURE_NAMES, compute_features

    features = compute_features(ar_ledger)
    late = (ar_ledger["settled_on"] > ar_ledger["due_on"]).to_numpy()
    model = LatePaymentModel(candidates=("logistic",), random_state=0).fit(features, late)
    assert save_model(model, tmp_path / "m.joblib")["feature_names"] == FEATURE_NAMES


def test_tampered_bytes_are_refused_before_unpickling(tmp_path):
    marker = tmp_path / "unpickled"
    record = save_model(Tripwire(marker), tmp_path / "model.joblib")
    data = bytearray((tmp_path / "model.joblib").read_bytes())
    data[-3] ^= 0x01
    (tmp_path / "model.joblib").write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="checksum"):
        load_model(tmp_path / "model.joblib", record["sha256"], record["versions"])
    assert not marker.exists()


def test_wrong_checksum_is_refused(tmp_path):
    marker = tmp_path / "unpickled"
    record = save_model(Tripwire(marker), tmp_path / "model.joblib")
    for wrong in ("0" * 64, "", None):
        with pytest.raises(ArtifactError, match="checksum"):
            load_model(tmp_path / "model.joblib", wrong, record["versions"])
    assert not marker.exists()


@pytest.mark.parametrize(("library", "version"), [
    ("sklearn", "0.24.2"), ("numpy", "1.0.0"), ("pandas", "1.5.3"), ("python", "2.7.18"),
])
def test_recorded_version_mismatch_is_refused(tmp_path, library, version):
    marker = tmp_path / "unpickled"
    record = save_model(Tripwire(marker), tmp_path / "model.joblib")
    versions = {**record["versions"], library: version}
    with pytest.raises(ArtifactError, match=f"{library}: saved with {version}"):
        load_model(tmp_path / "model.joblib", record["sha256"], versions)
    assert not marker.exists()


def test_file_written_under_other_versions_is_refused(tmp_path):
    """Even with a matching checksum and recorded versions, the file's own header counts."""
    marker = tmp_path / "unpickled"
    header = {"versions": {**library_versions(), "sklearn": "0.20.0"}, "feature_names": None}
    buffer = io.BytesIO()
    joblib.dump(Tripwire(marker), buffer)
    data = MAGIC + json.dumps(header).encode() + b"\n" + buffer.getvalue()
    (tmp_path / "old.joblib").write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    with pytest.raises(ArtifactError, match="file"):
        load_model(tmp_path / "old.joblib", digest, library_versions())
    assert not marker.exists()


def test_missing_versions_and_foreign_files_are_refused(tmp_path):
    record = save_model(Tripwire(tmp_path / "x"), tmp_path / "model.joblib")
    with pytest.raises(ArtifactError, match="not recorded"):
        load_model(tmp_path / "model.joblib", record["sha256"], {})
    plain = tmp_path / "plain.pkl"
    joblib.dump(Tripwire(tmp_path / "y"), plain)
    digest = hashlib.sha256(plain.read_bytes()).hexdigest()
    with pytest.raises(ArtifactError, match="not a Saldo risk model"):
        load_model(plain, digest, library_versions())
    with pytest.raises(ArtifactError, match="cannot read"):
        load_model(tmp_path / "absent.joblib", record["sha256"], record["versions"])
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_tripwire_really_fires_when_loaded(tmp_path):
    """Guards the tests above: a loaded Tripwire does touch its file."""
    marker = tmp_path / "unpickled"
    record = save_model(Tripwire(marker), tmp_path / "model.joblib")
    load_model(tmp_path / "model.joblib", record["sha256"], record["versions"])
    assert marker.exists()
