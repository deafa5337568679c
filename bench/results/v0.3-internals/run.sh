#!/bin/sh
# Reproduces BENCHMARKS.md's "v0.3 internals" table: the SDK's Get, Create
# and List(100) calls at the v0.2 release (9427de4) and at this version,
# built from the same bench/ code, run interleaved (each round runs both
# binaries once, ten rounds) so a change of machine load hits both alike.
# Run from the repository root of a checkout.
set -e
out=bench/results/v0.3-internals
tmp=$(mktemp -d)
git archive 9427de4 | (mkdir "$tmp/v02" && tar -x -C "$tmp/v02")
cp bench/bench_test.go "$tmp/v02/bench/bench_test.go" # the same benchmark code on both
(cd "$tmp/v02/bench" && go test -c -o "$tmp/v02.test" .)
(cd bench && go test -c -o "$tmp/new.test" .)
rm -f $out/v02.txt $out/new.txt
for i in 1 2 3 4 5 6 7 8 9 10; do
  for v in v02 new; do
    (cd bench && "$tmp/$v.test" -test.run '^$' -test.bench '(CustomersGet|OrdersCreate|OrdersList100)/impl=sdk' \
      -test.benchmem -test.benchtime 0.5s -test.count 1) >> $out/$v.txt
  done
done
rm -rf "$tmp"
benchstat $out/v02.txt $out/new.txt > $out/stat.txt
