#!/usr/bin/env bash
# Are the export outputs of two commits the same? For refactors that must not change behaviour.
#
#   bash bench/compare_outputs.sh REV [REV2]     (REV2 defaults to the working tree)
#
# Generates the sample export (2,000 contacts, seed 7) once per tree, then runs scan (contacts,
# companies, deals, --enrich), dedupe (contacts, companies), enrich (with the sample's providers and
# activity) and standard init with each tree's code (the repo's .venv, that tree's package first on
# PYTHONPATH), and diffs every file. Masked: emitted_at, run_id, timings and absolute paths, which
# differ between any two runs. Prints ALL IDENTICAL or each differing file with its first lines.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 REV [REV2]" >&2; exit 2; }
root=$(pwd)
python="$root/.venv/bin/python"
[ -x "$python" ] || { echo "run 'make test' (or make run) first: $python is missing" >&2; exit 2; }
work=$(mktemp -d)
cleanup() {
  for d in "$work/a" "$work/b"; do git -C "$root" worktree remove --force "$d" > /dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

tree_of() { # REV -> a checkout of it (the working tree for "")
  local rev=$1 dir=$2
  if [ -z "$rev" ]; then echo "$root"; return; fi
  git -C "$root" worktree add -q --detach "$dir" "$rev" && echo "$dir"
}

snapshot() { # TREE OUT
  local tree=$1 out=$2
  local run=("env" "PYTHONPATH=$tree/layers/shared/python" "$python" "-c"
    "import sys; from crm_hygiene.cli import main; sys.exit(main())")
  mkdir -p "$out"
  "${run[@]}" sample --out "$out/export" --contacts 2000 --seed 7 --truth --activity > /dev/null
  "${run[@]}" scan --input "$out/export/contacts.csv" --out "$out/scan" --as-of 2026-11-23 > /dev/null
  "${run[@]}" scan --input "$out/export/companies.csv" --out "$out/scan_co" --as-of 2026-11-23 > /dev/null
  "${run[@]}" scan --input "$out/export/deals.csv" --object deal --out "$out/scan_deal" --as-of 2026-11-23 \
    > /dev/null
  "${run[@]}" scan --input "$out/export/contacts.csv" --out "$out/scan_enrich" --enrich --as-of 2026-11-23 \
    > /dev/null 2>&1
  "${run[@]}" dedupe --input "$out/export/contacts.csv" --out "$out/pairs.csv" --clusters "$out/clusters.csv" \
    > /dev/null
  "${run[@]}" dedupe --input "$out/export/companies.csv" --out "$out/pairs_co.csv" \
    --clusters "$out/clusters_co.csv" > /dev/null
  "${run[@]}" enrich --input "$out/export/contacts.csv" --out "$out/enriched" \
    --providers "$out/export/providers.yaml" --activity "$out/export/activity.csv" \
    --crm "$out/export/companies.csv" --as-of 2026-11-23 > /dev/null
  "${run[@]}" standard init --input "$out/export/contacts.csv" --out "$out/standard.yaml" > /dev/null 2>&1
}

mask() {
  sed -E -e 's/"emitted_at": ?"[^"]*"/"emitted_at":X/g' -e 's/"run_id": ?"[^"]*"/"run_id":X/g' \
    -e 's/"(seconds|records_per_second)": [0-9.]+/"\1": X/g' -e "s#$work/out-[ab]/#/OUT/#g" \
    -e 's/enrich-[0-9TZ]+/enrich-X/g' "$1"
}

snapshot "$(tree_of "$1" "$work/a")" "$work/out-a"
snapshot "$(tree_of "${2:-}" "$work/b")" "$work/out-b"
status=0
while IFS= read -r file; do
  if ! diff -q <(mask "$work/out-a/$file") <(mask "$work/out-b/$file") > /dev/null; then
    echo "DIFFERS: $file"
    diff <(mask "$work/out-a/$file") <(mask "$work/out-b/$file") | head -4 | cut -c1-200 || true
    status=1
  fi
done < <(cd "$work/out-a" && find . -type f | sort)
[ $status = 0 ] && echo "ALL IDENTICAL (masked: emitted_at, run_id, timings, paths)"
exit $status
