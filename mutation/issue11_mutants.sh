#!/usr/bin/env bash
# The five bugs that passed every test before issue 11, each applied in a copy of the tree (under
# /tmp/five), with the tests that must now catch it. Usage: bash mutation/issue11_mutants.sh
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$(dirname "$0")/.."
run() { # name file python-replace-old python-replace-new tests...
  name=$1; file=$2; old=$3; new=$4; shift 4
  d=/tmp/five/$name; rm -rf $d; mkdir -p $d
  cp -r bertology tests configs pyproject.toml $d/
  python3 - "$d/$file" "$old" "$new" <<'PY'
import sys
p, old, new = sys.argv[1:4]
s = open(p).read()
assert s.count(old) == 1, (p, old, s.count(old))
open(p, "w").write(s.replace(old, new))
PY
  (cd $d && PYTHONPATH=$d PYTHONDONTWRITEBYTECODE=1 "$ROOT/.venv/bin/python" -m pytest -q -x -p no:cacheprovider "$@" > $d.log 2>&1)
  rc=$?
  echo "$name: pytest exit $rc ($( [ $rc = 1 ] && echo CAUGHT || echo NOT-CAUGHT )) $(grep -m1 '^FAILED' $d.log | cut -c1-150)"
}
run ge_threshold bertology/prune/masks.py "return scores > _logit(threshold)" "return scores >= _logit(threshold)" tests/prune
run roberta_space bertology/probe/scoring.py "        after_space = mask_follows_space(f.prompts[0], MASK)" "        after_space = True" tests/probe
run split_candidates bertology/probe/scoring.py "candidates, candidate_facts if candidate_facts is not None else facts" "candidates, facts" tests/probe tests/prune
run last_epoch_mask bertology/prune/train.py "out.mask = _to_mask(relation, mm.targets, best, cfg, identity)" "out.mask = _to_mask(relation, mm.targets, [g.detach().clone() for g in scores], cfg, identity)" tests/prune
run in_place_write bertology/io.py "    tmp = _tmp_sibling(path)
    try:
        with open(tmp, \"wb\") as f:" "    tmp = path
    try:
        with open(tmp, \"wb\") as f:" tests/test_io.py
