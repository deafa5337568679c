#!/bin/sh
# Reproduces the v0.2 call tables of BENCHMARKS.md. Run from the repository
# root of a checkout; builds five benchmark binaries and runs them
# interleaved (each round runs every binary's call benchmarks once), so a
# change of machine load hits all of them alike.
set -e
out=bench/results/v0.2
tmp=$(mktemp -d)
git worktree add -q "$tmp/v01" f384741    # v0.1
git worktree add -q "$tmp/base" 413d911   # v0.2 before the hand-written decoders
(cd "$tmp/v01/bench" && go test -c -o "$tmp/v01.test" .)
(cd "$tmp/base/bench" && go test -c -o "$tmp/base.test" . && GOEXPERIMENT=jsonv2 go test -c -o "$tmp/base-v2.test" .)
(cd bench && go test -c -o "$tmp/new.test" . && GOEXPERIMENT=jsonv2 go test -c -o "$tmp/new-v2.test" .)
rm -f $out/v01.txt $out/base.txt $out/base-v2.txt $out/new.txt $out/new-v2.txt
for i in 1 2 3 4 5 6 7 8 9 10; do
  for v in v01 base base-v2 new new-v2; do
    (cd bench && "$tmp/$v.test" -test.run '^$' -test.bench 'CustomersGet|OrdersCreate|OrdersList100' \
      -test.benchmem -test.benchtime 0.5s -test.count 1) >> $out/$v.txt
  done
done
git worktree remove "$tmp/v01"; git worktree remove "$tmp/base"; rm -rf "$tmp"
