#!/usr/bin/env bash
# The full crash-consistency sweep: every kill point of a three-epoch
# `ktk train` and of a two-trial `ktk tune` with each strategy (CI runs a
# sample). Takes about 1.5 hours on 2 idle cores (about 260 kill points,
# two runs each); extra arguments go to pytest
# (for example `-k coarse` for one strategy).
set -euo pipefail
cd "$(dirname "$0")/.."
KTK_CRASH_SWEEP=all python3 -m pytest -n auto -q -p no:cacheprovider \
    tests/cli/test_resume.py tests/tuning/test_keras_tuner_compat.py \
    -k "kill_at_any_point" "$@"
