#!/usr/bin/env bash
# lifecheck vs SPIN benchmark. See bench/README.md.
#   bash bench/run.sh              run every family/size, print the table
#   bash bench/run.sh --write      ... and write bench/results.md
#   bash bench/run.sh --selftest   ok models verify, broken variants are caught
#   bash bench/run.sh --quick | --big | --family refcount | --max-n 5 | --w 24
# lifecheck is taken from $LIFECHECK, else build/lifecheck (skipped if missing).
# Scratch files go to bench/work/ (git-ignored).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v spin >/dev/null || { echo "run.sh: spin not found (apt-get install spin)" >&2; exit 2; }
command -v gcc >/dev/null || { echo "run.sh: gcc not found" >&2; exit 2; }
exec python3 "$here/bench.py" "$@"
