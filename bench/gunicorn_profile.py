"""Gunicorn config for `bench/intake.py --profile`: each worker runs under cProfile and writes
its profile to $INTAKE_PROFILE when it exits."""

import cProfile
import os

_profile = cProfile.Profile()


def post_fork(server, worker):
    _profile.enable()


def worker_exit(server, worker):
    _profile.disable()
    _profile.dump_stats(os.environ["INTAKE_PROFILE"])
