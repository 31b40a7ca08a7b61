"""Intents, languages and the rules around the classifier, on replies written for the tests."""

from datetime import date

import pytest

from replies import INTENTS
from replies.corpus import load_corpus
from replies.rules import stop_rule
from replies.understand import understand, understand_many

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(("text", "intent", "language"), [
    ("les pago el viernes 200 mil", "promise", "es"),
    ("vou pagar dia 10 sem falta", "promise", "pt"),
    ("ill pay on the 15th", "promise", "en"),
    ("ya pagué ayer por nequi", "already_paid", "es"),
    ("já paguei ontem", "already_paid", "pt"),
    ("I already paid this yesterday", "already_paid", "en"),
    ("me quedé sin trabajo y no tengo plata", "hardship", "es"),
    ("perdi o emprego, tô sem dinheiro", "hardship", "pt"),
    ("i lost my job and can't pay right now", "hardship", "en"),
    ("esa deuda no es mía, yo no compré nada", "dispute", "es"),
    ("essa cobrança é indevida, não devo isso", "dispute", "pt"),
    ("i don't owe this, the amount is wrong", "dispute", "en"),
    ("STOP", "stop", "en"),
    ("no me escriban más por favor", "stop", "es"),
    ("cuánto debo?", "question", "es"),
    ("qual o valor total da dívida?", "question", "pt"),
    ("how much do i owe?", "question", "en"),
    ("ok gracias", "other", "es"),
])
def test_intents_and_languages(reply_model, text, intent, language):
    found = understand(text, TODAY, reply_model)
    assert (found.intent, found.language) == (intent, language)
    assert 0.0 <= found.confidence <= 1.0


def test_a_promise_carries_its_date_and_amount(reply_model):
    found = understand("les pago el viernes 200 mil", TODAY, reply_model)
    assert found.as_json() == {"intent": "promise", "promised_on": "2026-11-27",
                               "amount": "200000", "language": "es",
                               "confidence": found.as_json()["confidence"]}
    assert found.confident


@pytest.mark.parametrize(("text", "promised_on"), [
    ("No tengo plata hasta la quincena", date(2026, 11, 30)),
    ("não tenho dinheiro até sexta", date(2026, 11, 27)),
    ("I don't have it until the 15th", date(2026, 12, 15)),
])
def test_no_money_until_a_day_is_a_promise_for_that_day(reply_model, text, promised_on):
    found = understand(text, TODAY, reply_model)
    assert (found.intent, found.promised_on) == ("promise", promised_on)
    assert found.confident


def test_no_money_without_a_day_is_hardship(reply_model):
    found = understand("no tengo plata, me quedé sin trabajo", TODAY, reply_model)
    assert (found.intent, found.promised_on) == ("hardship", None)


def test_next_payday_is_a_promise_without_a_date(reply_model):
    found = understand("i'll pay next payday", TODAY, reply_model)
    assert (found.intent, found.promised_on) == ("promise", None)


def test_only_promises_carry_a_date(reply_model):
    found = understand("pagué el viernes pasado 100 mil", TODAY, reply_model)
    assert found.intent == "already_paid" and found.promised_on is None
    assert str(found.amount) == "100000"


@pytest.mark.parametrize("text", ["STOP", "Baja", "sair", "PARAR", "cancelar", "unsubscribe",
                                  "hola. baja por favor 🙏", "stop pls", "parem de me mandar sms",
                                  "remove me from your list"])
def test_stop_words_are_a_rule(text):
    assert stop_rule(text)


@pytest.mark.parametrize("text", ["voy a cancelar el viernes", "para el viernes le pago",
                                  "can i stop by the office to pay?"])
def test_stop_rule_leaves_ordinary_sentences_alone(text):
    assert not stop_rule(text)


def test_the_rule_wins_over_the_model(reply_model):
    found = understand("vi a msg agora. descadastrar", TODAY, reply_model)
    assert (found.intent, found.confidence) == ("stop", 0.99)


def test_languages_can_be_restricted_to_the_debtors(reply_model):
    found = understand("ok", TODAY, reply_model, languages=("pt",))
    assert found.language == "pt"


def test_batches_agree_with_single_messages(reply_model):
    texts = ["ya pague", "cuanto debo", "te pago mañana"]
    assert [u.intent for u in understand_many(texts, TODAY, reply_model)] == \
        [understand(t, TODAY, reply_model).intent for t in texts]


def test_low_confidence_is_flagged(reply_model):
    found = understand("asdf qwerty zxcv", TODAY, reply_model)
    assert not found.confident


def test_corpus_shape():
    for language in ("es", "pt", "en"):
        rows = load_corpus(languages=(language,))
        assert len(rows) >= 250
        assert {r["intent"] for r in rows} == set(INTENTS)
        train = [r for r in rows if r["split"] == "train"]
        heldout = [r for r in rows if r["split"] == "heldout"]
        assert {r["intent"] for r in heldout} == set(INTENTS)
        assert not {r["phrase"] for r in train} & {r["phrase"] for r in heldout}
        assert not {r["text"].lower() for r in train} & {r["text"].lower() for r in heldout}
        for r in rows:
            assert (r["promised_on"] is not None) <= (r["intent"] == "promise")


def test_paid_this_morning_is_already_paid(reply_model):
    assert understand("pague esta mañana x nequi", TODAY, reply_model).intent == "already_paid"
