"""Corral runner for WSGI content (app mode "python-api": Flask or any WSGI app).

Started by corrald inside the content's transient unit, working directory /opt/corral/mnt/app.
Usage: python3 -u run-wsgi.py --port PORT --entry MODULE:OBJECT
"""

import argparse
import importlib
import os
import sys
from urllib.parse import urlsplit


def load_entry(entry):
    module_name, _, attr = entry.partition(":")
    attr = attr or "app"
    sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    obj = module
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def with_base_path(app):
    """Sets SCRIPT_NAME from the RStudio-Connect-App-Base-Url header, so the app's own URL
    building (url_for, redirects) works under /content/<guid>/."""

    def wrapped(environ, start_response):
        base = environ.get("HTTP_RSTUDIO_CONNECT_APP_BASE_URL")
        if base:
            prefix = urlsplit(base).path.rstrip("/")
            path = environ.get("PATH_INFO", "")
            environ["SCRIPT_NAME"] = prefix
            if prefix and path.startswith(prefix + "/"):
                environ["PATH_INFO"] = path[len(prefix):]
        return app(environ, start_response)

    return wrapped


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("CORRAL_PORT", "0")))
    parser.add_argument("--entry", default="app:app")
    args = parser.parse_args()
    if not args.port:
        sys.exit("corral: no port given (--port or CORRAL_PORT)")
    app = load_entry(args.entry)
    print(f"corral: starting WSGI app {args.entry} in {os.getcwd()} on 127.0.0.1:{args.port}", flush=True)
    import waitress

    waitress.serve(with_base_path(app), host="127.0.0.1", port=args.port, threads=8, ident="corral")


if __name__ == "__main__":
    main()
