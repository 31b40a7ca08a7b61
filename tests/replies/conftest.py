import pytest

from replies.evaluate import fit_model


@pytest.fixture(scope="session")
def reply_model():
    """The classifier fitted on the shipped corpus' training split (once per run)."""
    return fit_model()
