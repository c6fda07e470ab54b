"""A small Flask app shipped with Corral as example content."""

import os

from flask import Flask, jsonify, url_for

app = Flask(__name__)


@app.route("/")
def index():
    print("flask-hello: serving /", flush=True)
    return jsonify(
        message="Hello from Flask, served by Corral",
        user=os.environ.get("USER"),
        content_guid=os.environ.get("CONNECT_CONTENT_GUID"),
        self_url=url_for("index"),
    )


@app.route("/echo/<word>")
def echo(word):
    return jsonify(echo=word)
