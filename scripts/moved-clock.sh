#!/usr/bin/env bash
# Runs pytest with the wall clock of every Python process of the run moved to DATE (time-machine,
# tests/clock/sitecustomize.py), to prove the suite does not depend on the day it runs on.
#   bash scripts/moved-clock.sh 2027-12-06T15:00:00Z [pytest arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: scripts/moved-clock.sh ISO-INSTANT [pytest args]"; exit 2; }
at=$1; shift
# time-machine is imported before pytest starts, so pytest cannot rewrite its asserts (it has none we use)
PYTHONPATH="$PWD/tests/clock${PYTHONPATH:+:$PYTHONPATH}" PCNB_TEST_CLOCK="$at" \
  python3 -m pytest -W "ignore::pytest.PytestAssertRewriteWarning" "$@"
