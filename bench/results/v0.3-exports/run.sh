#!/bin/sh
# Reproduces the export decoding table of BENCHMARKS.md (issue 20). Run from
# the repository root of a checkout. Builds four benchmark binaries — main
# before the change (f5b4776) and this version, each with and without
# GOEXPERIMENT=jsonv2, all running this version's BenchmarkExportStream —
# and runs them interleaved (each round runs every binary once), so a change
# of machine load hits all of them alike.
set -e
out=bench/results/v0.3-exports
tmp=$(mktemp -d)
git worktree add -q --detach "$tmp/base" f5b4776
cp bench/export_bench_test.go "$tmp/base/bench/"
(cd "$tmp/base/bench" && go test -c -o "$tmp/base.test" . && GOEXPERIMENT=jsonv2 go test -c -o "$tmp/base-v2.test" .)
(cd bench && go test -c -o "$tmp/new.test" . && GOEXPERIMENT=jsonv2 go test -c -o "$tmp/new-v2.test" .)
rm -f $out/base.txt $out/base-v2.txt $out/new.txt $out/new-v2.txt
for i in 1 2 3 4 5 6; do
  for v in new base new-v2 base-v2; do
    (cd bench && "$tmp/$v.test" -test.run '^$' -test.bench 'ExportStream' \
      -test.benchmem -test.benchtime 4x -test.count 1) >> $out/$v.txt
  done
done
git worktree remove --force "$tmp/base"; rm -rf "$tmp"
# Tables: benchstat -col /impl $out/new.txt (and new-v2.txt);
# SDK before and after: grep impl=sdk of base.txt and new.txt (see BENCHMARKS.md).
