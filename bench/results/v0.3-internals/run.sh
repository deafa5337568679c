#!/bin/sh
# Reproduces BENCHMARKS.md's "v0.3 internals" table: the SDK's Get, Create
# and List(100) calls at the v0.2 release (9427de4), at main just before the
# internals of issue 19 were merged (181f7b6: the other v0.3 work, the
# export decoding of issue 20 included) and at this version, all built from
# this bench_test.go and run interleaved (each round runs every binary
# once, ten rounds) so a change of machine load hits them alike. Run from
# the repository root of a checkout.
set -e
out=bench/results/v0.3-internals
tmp=$(mktemp -d)
for v in v02:9427de4 main:181f7b6; do
  name=${v%%:*}; rev=${v#*:}
  mkdir "$tmp/$name"
  git archive "$rev" | tar -x -C "$tmp/$name"
  cp bench/bench_test.go "$tmp/$name/bench/bench_test.go" # the same benchmark code on all
  (cd "$tmp/$name/bench" && go test -c -o "$tmp/$name.test" .)
done
(cd bench && go test -c -o "$tmp/new.test" .)
rm -f $out/v02.txt $out/main.txt $out/new.txt
for i in 1 2 3 4 5 6 7 8 9 10; do
  for v in v02 main new; do
    (cd bench && "$tmp/$v.test" -test.run '^$' -test.bench '(CustomersGet|OrdersCreate|OrdersList100)/impl=sdk' \
      -test.benchmem -test.benchtime 0.5s -test.count 1) >> $out/$v.txt
  done
done
rm -rf "$tmp"
benchstat $out/v02.txt $out/main.txt $out/new.txt > $out/stat.txt
