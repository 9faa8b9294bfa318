#!/bin/bash
# A concurrency smoke test (bounded to ~30 s): several readers at once on
# one mount (sequential streams of big files, random reads, tree walks of
# small files), on a gzip and a plain layer; every byte must be right,
# and the daemon must still unmount cleanly and exit 0.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need python3 tar gzip || { done_testing; exit; }
B=$OCIFS_BIN

R=$TMP/root
mkdir -p "$R/d1" "$R/d2"
head -c $((6 << 20)) /dev/urandom >"$R/a.bin"
head -c $((5 << 20)) /dev/urandom >"$R/b.bin"
for i in $(seq 1 60); do
	head -c $((i * 997)) /dev/urandom >"$R/d$((i % 2 + 1))/f$i"
done
tar -C "$R" -cf "$TMP/l.tar" . && gzip -c "$TMP/l.tar" >"$TMP/l.tar.gz"
ok $? "test layers built"
mkoci "$TMP/img-gz" "$TMP/l.tar.gz"
mkoci "$TMP/img-plain" "$TMP/l.tar"
(cd "$R" && find . -type f | sort | xargs sha256sum) >"$TMP/sums"

# reader KIND DIR ID: one reader; exits non-zero on the first wrong byte.
# At least one full round, then more for 8 s (a slow machine does fewer
# rounds; nothing depends on how many).
reader() {
	local kind=$1 m=$2 id=$3 end=$((SECONDS + 8)) round=0
	while [ $round -eq 0 ] || [ $SECONDS -lt $end ]; do
		round=$((round + 1))
		case $kind in
		seq) for f in a.bin b.bin; do cmp -s "$R/$f" "$m/$f" || return 1; done ;;
		walk) (cd "$m" && find . -type f | sort | xargs sha256sum) | cmp -s - "$TMP/sums" || return 1 ;;
		rand)
			python3 - "$R" "$m" "$id$SECONDS" <<'EOF' || return 1
import os, random, sys
src, mnt, seed = sys.argv[1:4]
random.seed(seed)
names = ["a.bin", "b.bin"] + ["d%d/f%d" % (i % 2 + 1, i) for i in range(1, 61, 7)]
fds = {n: (os.open(os.path.join(src, n), os.O_RDONLY), os.open(os.path.join(mnt, n), os.O_RDONLY)) for n in names}
for _ in range(300):
    n = random.choice(names)
    a, b = fds[n]
    off = random.randrange(0, os.fstat(a).st_size + 1)
    k = random.choice([1, 4096, 65536, 200000])
    if os.pread(a, k, off) != os.pread(b, k, off):
        sys.exit("%s: %d bytes at %d differ" % (n, k, off))
EOF
			;;
		esac
		# drop the kernel's cached pages of the mount's files, so the
		# next round reads through the daemon again
		find "$m" -type f -exec dd if={} iflag=nocache count=0 status=none \;
	done
	return 0
}

M=$(mnt_dir mnt)
for v in gz plain; do
	fg_mount "$TMP/img-$v" "$M" -o cache_size=2M
	ok $? "mount -f $v (2 MiB span cache, so it evicts)" || continue
	pids=""
	for k in seq seq rand rand walk walk; do
		reader "$k" "$M" "$k$v$RANDOM" &
		pids="$pids $!"
	done
	bad=0
	for p in $pids; do
		wait "$p" || bad=$((bad + 1))
	done
	[ $bad = 0 ]
	ok $? "$v: 6 concurrent readers, every byte right ($bad failed)"
	[ "$(cat "$M/d1/f2" | wc -c)" = $((2 * 997)) ]
	ok $? "$v: still serving"
	"$B" umount "$M"
	fg_wait
	[ "$FG_RC" = 0 ] && ! is_mounted "$M"
	ok $? "$v: unmounted, the daemon exits 0 (exit $FG_RC)"
	[ ! -s "$TMP/fg.err" ] || diag "stderr: $(head -c 2000 "$TMP/fg.err")"
done

done_testing
