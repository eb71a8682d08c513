#!/usr/bin/env bash
# Create a separate virtual environment holding the reference Flee simulator
# (PyPI package flee==3.1, BSD-licensed), used only by bench/run_flee.py.
#
# Usage: bench/setup_flee.sh [VENV_DIR]   (default: <repo>/.flee-venv, git-ignored)
#
# Verified with Python 3.11: `pip install flee==3.1` pulls in every runtime
# dependency it needs (numpy, pandas, pyyaml, beartype, mpi4py wheel, muscle3,
# matplotlib, ...); nothing has to be installed by hand.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-$repo_root/.flee-venv}"
python="${PYTHON:-python3}"

"$python" -m venv "$venv"
"$venv/bin/pip" install --upgrade pip
"$venv/bin/pip" install "flee==3.1"

# Smoke test: import from outside the package directory (inside site-packages/flee,
# `import flee` would pick up flee/flee.py instead of the package).
(cd / && "$venv/bin/python" -c "
import flee
from flee import flee as _f, InputGeography, spawning
from flee.SimulationSettings import SimulationSettings
from flee.datamanager import handle_refugee_data, read_period
print('flee', flee.__version__, 'OK')
")
echo "Run: $venv/bin/python $repo_root/bench/run_flee.py SCENARIO_DIR [--days N] [--out FILE.json] [--seed S]"
