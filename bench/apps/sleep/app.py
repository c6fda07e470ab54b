"""Benchmark backend (d): every request blocks 2 s, answers with the pid that served it."""
import os
import time

from flask import Flask

app = Flask(__name__)


@app.route("/", defaults={"path": ""})
@app.route("/<path:path>")
def index(path):
    time.sleep(2)
    return f"pid {os.getpid()}\n"
