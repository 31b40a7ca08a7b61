"""The bare Flask ceiling for benches/account_page.py: one route answering "hello"."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
