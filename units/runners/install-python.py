# Corral installer for Python content (python_restore, spec §11).
# Started by corrald with the bundle's chosen Python, as Applications.RunAs, in a transient unit
# where MountDir/python (the bundle's venv, DataDir/python/C/B) is read-write and the bundle
# read-only.
#
# Usage: python3 install-python.py --venv DIR --requirements FILE [--index-url URL | --find-links DIR]
#
# Creates the venv with --system-site-packages (the distribution's packages, such as Debian's
# flask and waitress, stay usable) and installs the requirements with pip. The last line says
# how it ended.
import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import venv


def say(msg):
    print("corral: " + msg, flush=True)


def die(msg):
    print("ERROR: " + msg, flush=True)
    say("package installation failed")
    sys.exit(1)


def clear(path):
    """Empties path (a mount point: it cannot be removed itself)."""
    for name in os.listdir(path):
        p = os.path.join(path, name)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.unlink(p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--venv", required=True)
    ap.add_argument("--requirements", required=True)
    ap.add_argument("--index-url")
    ap.add_argument("--find-links")
    a = ap.parse_args()

    v = sys.version_info
    say("creating a venv with Python %d.%d.%d (%s) in %s" % (v.major, v.minor, v.micro, sys.executable, a.venv))
    os.makedirs(a.venv, exist_ok=True)
    clear(a.venv)
    # The system's pip serves the venv through its site packages; without one, the venv gets its own.
    system_pip = importlib.util.find_spec("pip") is not None
    try:
        venv.EnvBuilder(system_site_packages=True, symlinks=True, with_pip=not system_pip).create(a.venv)
    except Exception as e:  # noqa: BLE001 - any failure ends the install with its reason
        die("cannot create the venv: %s" % e)
    python = os.path.join(a.venv, "bin", "python")

    cmd = [python, "-m", "pip", "install", "--no-input", "--disable-pip-version-check", "--no-cache-dir",
           "--progress-bar", "off", "-r", a.requirements]
    if a.find_links:
        cmd += ["--no-index", "--find-links", a.find_links]
    elif a.index_url:
        cmd += ["--index-url", a.index_url]
    say("running " + " ".join(cmd[2:]))
    status = subprocess.call(cmd, stderr=subprocess.STDOUT)
    if status != 0:
        die("pip install -r %s failed (exit status %d)" % (os.path.basename(a.requirements), status))
    say("packages installed")


if __name__ == "__main__":
    main()
