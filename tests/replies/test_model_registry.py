"""Champion/challenger for the reply model, staff labels as training data, the CLI contract."""

import json
from datetime import date
from pathlib import Path

from flask import current_app

from portal.models import ReplyLabel, ReplyModelVersion
from replies import registry
from replies.evaluate import evaluate


def test_first_model_is_champion_and_a_worse_challenger_is_not(app, db):
    first = registry.train_reply_model()
    assert first.is_active and first.metrics["decision"] == "promoted"
    assert first.metrics["heldout"]["all"]["macro_f1"] >= 0.85
    assert Path(current_app.instance_path, first.artifact_path).exists()
    # A challenger trained to be worse: twenty mislabelled replies from "staff".
    for n in range(40):
        db.session.add(ReplyLabel(text=f"ya pague ayer {n}", intent="dispute", language="es",
                                  received_on=date(2026, 11, 26)))
        db.session.add(ReplyLabel(text=f"cuanto debo {n}", intent="hardship", language="es",
                                  received_on=date(2026, 11, 26)))
    db.session.commit()
    second = registry.train_reply_model()
    assert second.n_corrections == 80
    ours = second.metrics["heldout"]["all"]["macro_f1"]
    theirs = second.metrics["champion"]["heldout"]["all"]["macro_f1"]
    assert ours < theirs and not second.is_active
    assert registry.champion().id == first.id
    forced = registry.train_reply_model(force=True)
    assert forced.is_active and db.session.get(ReplyModelVersion, first.id).is_active is False


def test_staff_labels_teach_the_model(app, db):
    text = "zorglub"
    before = registry.fit_model().predict([text + " "])[0]
    for n in range(8):
        db.session.add(ReplyLabel(text=f"{text} {'!' * n}", intent="stop", language="es",
                                  received_on=date(2026, 11, 26)))
    db.session.commit()
    after = registry.fit_model(registry.correction_rows()).predict([text])[0]
    assert before != "stop" and after == "stop"


def test_a_tampered_artifact_is_not_loaded(app, db):
    version = registry.train_reply_model()
    path = Path(current_app.instance_path, version.artifact_path)
    path.write_bytes(path.read_bytes() + b"x")
    model = registry.active_model()
    assert model is registry.baseline_model()
    assert evaluate(model)["all"]["macro_f1"] >= 0.85


def test_classify_cli_contract(app, runner):
    lines = "les pago el viernes 200 mil\n¿cuánto debo?\nSTOP\njá paguei ontem\n"
    result = runner.invoke(args=["replies", "classify", "--today", "2026-11-26", "--json"],
                           input=lines)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [set(r) for r in rows] == [{"intent", "promised_on", "amount", "language",
                                       "confidence"}] * 4
    assert rows[0] | {"confidence": 0} == {"intent": "promise", "promised_on": "2026-11-27",
                                           "amount": "200000", "language": "es",
                                           "confidence": 0}
    assert [r["intent"] for r in rows[1:]] == ["question", "stop", "already_paid"]
    assert rows[3]["language"] == "pt"
    assert all(0 <= r["confidence"] <= 1 for r in rows)


def test_classify_cli_refuses_an_unknown_zone(app, runner):
    result = runner.invoke(args=["replies", "classify", "--tz", "Mars/Olympus", "--json"],
                           input="hola\n")
    assert result.exit_code != 0 and "Mars/Olympus" in result.output


def test_train_cli(app, db, runner):
    result = runner.invoke(args=["replies", "train"])
    assert result.exit_code == 0, result.output
    assert "promoted" in result.output and "macro-F1" in result.output
    assert db.session.query(ReplyModelVersion).count() == 1


def test_the_demo_trains_a_reply_model_once(app, db):
    from portal.devstack import _train_replies

    _train_replies()
    _train_replies()
    assert db.session.query(ReplyModelVersion).count() == 1
    assert registry.champion().is_active
