"""The reply classifier: scikit-learn estimators for intent and language.

Intent: word (1-2) and character (2-5, within word boundaries) n-gram TF-IDF, joined, into a
linear SVM calibrated with Platt scaling (``CalibratedClassifierCV``), so ``predict_proba``
gives confidences that mean something ("low confidence goes to a person"). The text it reads
is the normalised reply plus marker tokens when the reply names a date (``zzdate`` from today
on, ``zzpast`` before it) or an amount: a date to come is what tells a promise from hardship,
a past one what tells "I paid on Friday" from "I'll pay on Friday".

Language: character 1-4 grams into multinomial naive Bayes, among es, pt and en.

Follows scikit-learn's conventions (parameters in ``__init__``, ``fit`` returns self, fitted
attributes end in ``_``). Saved and loaded through ``risk.artifact`` (checksum and library
versions recorded), never from an untrusted file.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from replies import LANGUAGES
from replies.concepts import concept_tokens
from replies.dates import said_as_past

DATE_MARK, PAST_MARK, AMOUNT_MARK = "zzdate", "zzpast", "zzamount"
_MARKS = (DATE_MARK, PAST_MARK, AMOUNT_MARK)


def model_input(normalised: str, named_date, today, has_amount: bool) -> str:
    """What the intent model reads: the normalised text and the date/amount markers
    (``zzdate`` for a date from today on, ``zzpast`` for one before it)."""
    marks = ""
    if named_date is not None:
        past = named_date < today or (named_date == today and said_as_past(normalised))
        marks += f" {PAST_MARK}" if past else f" {DATE_MARK}"
    concepts = concept_tokens(normalised)
    return (normalised + marks + (f" {AMOUNT_MARK}" if has_amount else "")
            + (f" {concepts}" if concepts else ""))


class ReplyClassifier(BaseEstimator, ClassifierMixin):
    """Intent (calibrated linear SVM over TF-IDF n-grams) and language (naive Bayes)."""

    def __init__(self, C: float = 0.5, calibration_folds: int = 3, random_state: int = 0):
        self.C = C
        self.calibration_folds = calibration_folds
        self.random_state = random_state

    def fit(self, texts, intents, languages=None):
        """``texts`` as ``model_input`` builds them; ``languages`` trains the detector."""
        texts = list(texts)
        features = FeatureUnion([
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                                      token_pattern=r"(?u)\b\w+\b|\?")),  # noqa: S106
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                      min_df=2)),
        ])
        svm = LinearSVC(C=self.C, class_weight="balanced", random_state=self.random_state)
        self.intent_ = Pipeline([
            ("features", features),
            ("classifier", CalibratedClassifierCV(svm, method="sigmoid",
                                                  cv=self.calibration_folds)),
        ]).fit(texts, list(intents))
        self.classes_ = self.intent_.classes_
        self.n_train_ = len(texts)
        if languages is not None:
            self.language_ = Pipeline([
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4),
                                          sublinear_tf=True)),
                ("nb", MultinomialNB(alpha=0.05)),
            ]).fit([_strip_marks(t) for t in texts], list(languages))
        return self

    def predict_proba(self, texts):
        return self.intent_.predict_proba(list(texts))

    def predict(self, texts):
        return self.classes_[np.argmax(self.predict_proba(texts), axis=1)]

    def language_proba(self, normalised_texts, allowed=LANGUAGES) -> list[dict]:
        """Per text, {language: probability} over the ``allowed`` languages."""
        proba = self.language_.predict_proba(list(normalised_texts))
        names = list(self.language_.classes_)
        columns = [names.index(code) for code in allowed if code in names]
        return [{names[c]: float(row[c]) for c in columns} for row in proba]


def _strip_marks(text: str) -> str:
    """The normalised text back from a model input (markers and concepts dropped)."""
    return " ".join(w for w in text.split() if w not in _MARKS and not w.startswith("c_"))
