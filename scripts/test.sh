#!/usr/bin/env bash
# The test command of README.md and .ci/run: sets up everything the tests need on a
# fresh machine (a virtualenv with the test extra; Debian's prometheus,
# prometheus-alertmanager and chromium when running as root), then runs the checks:
# ruff, mypy --strict, import-linter contracts, and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'

need_apt=()
command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || need_apt+=(prometheus-alertmanager)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian packages: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "warning: missing ${need_apt[*]}; run as root or install them (the e2e tests need them)" >&2
  fi
fi

echo "== ruff";          .venv/bin/ruff check autoscaler tests scripts bench
echo "== mypy --strict"; .venv/bin/mypy
echo "== import contracts"; .venv/bin/lint-imports
echo "== pytest";        .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
