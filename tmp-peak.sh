#!/bin/bash
# usage: tmp-peak.sh label env... -- args
label=$1; shift
out=/tmp/o-peak-$label; rm -rf $out
start=$(date +%s.%N)
env "$@" node pipeline/bin.mjs run /tmp/bench-scale/small-50mb.warc.gz --out $out --workers 1 --quiet $EXTRA 2>/tmp/peak-$label.err &
pid=$!
peak=0
while kill -0 $pid 2>/dev/null; do r=$(awk '/VmRSS/{print $2}' /proc/$pid/status 2>/dev/null); [ -n "$r" ] && [ "$r" -gt "$peak" ] && peak=$r; sleep 0.1; done
end=$(date +%s.%N)
echo "$label peak ${peak} KB  $(echo "$end - $start" | bc) s  load $(cut -d' ' -f1-3 /proc/loadavg)  $(tail -1 /tmp/peak-$label.err)"
rm -rf $out
