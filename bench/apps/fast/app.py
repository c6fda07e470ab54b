"""Benchmark backend (a): the smallest Flask app, served like any python-api content."""
from flask import Flask

app = Flask(__name__)


@app.route("/", defaults={"path": ""})
@app.route("/<path:path>")
def index(path):
    return "ok\n"
