"""`python -m nrmc` and the `nrmc` command: the command line.

Ctrl-C (SIGINT) or SIGTERM before a command has set up its own handling (while Python imports the
command line) ends the process at once with a line and the status of the signal (130, 143),
never a traceback from the middle of an import: nothing has been written yet. `nrmc build` then
installs handlers that stop the build cleanly and print its summary; `nrmc init` removes its
temporary copies.
"""
import os
import signal

_NAMES = {int(signal.SIGINT): "SIGINT", int(signal.SIGTERM): "SIGTERM"}


def _before_start(signum, frame):  # pragma: no cover - exercised in a subprocess
    try:
        os.write(2, f"nrmc: interrupted by {_NAMES.get(signum, signum)} while starting; nothing was written.\n".encode())
    finally:
        os._exit(128 + signum)


def run():
    """The console script's entry point (pyproject.toml)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _before_start)
    from nrmc.cli import main

    return main(prog_name="nrmc")


if __name__ == "__main__":
    run()
