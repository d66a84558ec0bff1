#!/usr/bin/env bash
# Does pcnb still work with the newest releases its version ranges allow (not the pinned constraints.txt)?
# Installs pcnb[test] unpinned into a throwaway virtualenv, lists every version that differs from the
# lock, and runs the version-sensitive part of the test suite there (all of it with PCNB_LATEST_ALL=1).
# Prints "latest versions: OK" or names the failing tests; exits 0 either way unless
# PCNB_LATEST_STRICT=1 (CI runs it as a report, the pinned suite is the gate).
set -uo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 -m venv "$dir/venv"
if ! "$dir/venv/bin/python" -m pip install -q --disable-pip-version-check -e ".[test]" >"$dir/install.log" 2>&1; then
  echo "latest versions: the unpinned install FAILS to resolve:"; grep -iv "is ignored" "$dir/install.log" | tail -20
  [ "${PCNB_LATEST_STRICT:-0}" = 1 ] && exit 1 || exit 0
fi
"$dir/venv/bin/python" -m pip freeze --exclude-editable --all 2>/dev/null | sort >"$dir/latest.txt"
grep -v '^#' constraints.txt | sort >"$dir/locked.txt"
newer=$(comm -13 "$dir/locked.txt" "$dir/latest.txt" | grep -viE '^(pip|setuptools|wheel)==' | tr '\n' ' ')
echo "latest versions differing from constraints.txt: ${newer:-none}"
export PCNB_CACHE_DIR="$dir/cache" PCNB_DATA_DIR="$dir/data"
# The layers whose behaviour rides on third-party versions: HTTP/OAuth (requests, urllib3, authlib), the
# sandbox (fastapi, starlette, uvicorn) and its fuzzing (schemathesis, hypothesis), the store and frames
# (polars), write-back, the magic (IPython) and report execution (papermill, nbconvert, ipykernel).
# PCNB_LATEST_ALL=1 runs the whole suite instead.
targets="tests/api tests/cache tests/sandbox tests/writeback tests/test_magics.py tests/test_report.py"
select=(-k "not report_mode and not demo")  # the two whole-notebook report runs: minutes, same code paths
[ "${PCNB_LATEST_ALL:-0}" = 1 ] && targets="tests" && select=()
# on every core, as the default tier (serially it took 4 of CI's 40 minutes)
PATH="$dir/venv/bin:$PATH" python -m pytest -q -p no:cacheprovider -o addopts="--timeout=600 -n auto --dist loadscope" \
  $targets "${select[@]}" \
  >"$dir/pytest.log" 2>&1
status=$?
if [ "$status" -eq 0 ]; then
  echo "latest versions: OK ($(tail -1 "$dir/pytest.log" | tr -d '='))"
else
  echo "latest versions: BREAK pcnb (refresh constraints.txt only after fixing these):"
  grep -E "^(FAILED|ERROR) " "$dir/pytest.log" | sed 's/^/  /'
  [ "${PCNB_LATEST_STRICT:-0}" = 1 ] && exit 1
fi
exit 0
