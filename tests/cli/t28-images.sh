#!/bin/bash
# Image names, stdin and the cache (issue #13), against skopeo:
#  - skopeo's transport names: archives and layouts skopeo itself wrote
#    (docker-archive with two tagged images, oci-archive, an OCI layout
#    with two ref names); the image `ocifs inspect` picks by reference,
#    by skopeo's @N and by --image N (1-based) has the config digest
#    `skopeo inspect --raw` reports for the same name;
#  - stdin (`-`, plain, gzip and zstd streams, a FIFO, `< FILE`): the same
#    image as the file, nothing left in the spool; short and garbage
#    streams, one line naming stdin;
#  - --cache-dir and OCIFS_CACHE_DIR: where the layer indexes and the
#    deps document appear (the layer digests skopeo's manifest lists);
#  - an unwritable cache (a file in its place, a read-only tmpfs, a
#    read-only bind mount): the read-only commands work from a temporary
#    cache that is gone afterwards, index and verify fail naming the
#    directory and --cache-dir;
#  - docker:// unreachable or empty, containers-storage: and a bare NAME:TAG: one line each.
. "$(dirname "$0")/../lib.sh"

need skopeo umoci jq gzip zstd python3 || { done_testing; exit; }
IMG=$(test_images) || { fail "mkimage.sh failed"; done_testing; exit; }
B=$OCIFS_BIN
unset OCIFS_CACHE_DIR
CACHE=$XDG_CACHE_HOME/ocifs

# cfg ARGS...: the config digest ocifs inspect prints
cfg() { "$B" inspect "$@" 2>"$TMP/cfg.err" | awk '$1 == "config:" { print $2 }'; }
# skcfg NAME: the config digest of skopeo's manifest for NAME
skcfg() { skopeo inspect --raw "$1" 2>>"$TMP/sk.err" | jq -r .config.digest; }
# same DESC OCIFS-ARGS -- SKOPEO-NAME
same() {
	local desc=$1 got want
	shift
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	got=$(cfg "${args[@]}")
	want=$(skcfg "$2")
	if [ -n "$want" ] && [ "$want" != null ] && [ "$got" = "$want" ]; then
		pass "$desc: config $got"
	else
		fail "$desc"
		diag "ocifs: '$got' ($(cat "$TMP/cfg.err")); skopeo: '$want'"
	fi
}

# --- images written by skopeo ---------------------------------------------
# a second image, different from the test image: one small layer
mkdir -p "$TMP/l2/etc" && echo second >"$TMP/l2/etc/second.txt"
tar -C "$TMP/l2" -cf "$TMP/l2.tar" etc
mkoci "$TMP/src2" "$TMP/l2.tar"
jq '.manifests[0].annotations = {"org.opencontainers.image.ref.name": "t"}' \
	"$TMP/src2/index.json" >"$TMP/i" && cp "$TMP/i" "$TMP/src2/index.json"
sk() { skopeo copy -q "$@" >>"$TMP/sk.log" 2>&1 || { diag "skopeo copy $*: $(tail -n 2 "$TMP/sk.log")"; return 1; }; }
sk "oci:$IMG/oci:test" "docker-archive:$TMP/a.tar:ocifs/a:1" &&
	sk "oci:$TMP/src2:t" "docker-archive:$TMP/b.tar:ocifs/b:2" &&
	sk "oci:$IMG/oci:test" "oci-archive:$TMP/o.tar:v1" &&
	sk "oci:$IMG/oci:test" "oci:$TMP/lay:first" &&
	sk "oci:$TMP/src2:t" "oci:$TMP/lay:second"
ok $? "skopeo wrote a docker-archive per image, an oci-archive and a two-ref OCI layout"
# Two images in one docker-archive, as `docker save a b` writes it: both
# archives' files, one manifest.json listing both entries.
mkdir -p "$TMP/m" && tar -xf "$TMP/a.tar" -C "$TMP/m" && mv "$TMP/m/manifest.json" "$TMP/ma.json" &&
	tar -xf "$TMP/b.tar" -C "$TMP/m" && jq -s add "$TMP/ma.json" "$TMP/m/manifest.json" >"$TMP/mm.json" &&
	mv "$TMP/mm.json" "$TMP/m/manifest.json" && rm -f "$TMP/m/repositories" &&
	tar -cf "$TMP/two.tar" -C "$TMP/m" .
ok $? "a docker-archive holding both images"

same "bare path of skopeo's docker-archive" "$TMP/a.tar" -- "docker-archive:$TMP/a.tar"
same "docker-archive:FILE" "docker-archive:$TMP/a.tar" -- "docker-archive:$TMP/a.tar"
same "docker-archive:FILE:NAME:TAG (first)" "docker-archive:$TMP/two.tar:ocifs/a:1" -- \
	"docker-archive:$TMP/two.tar:ocifs/a:1"
same "docker-archive:FILE:NAME:TAG (second)" "docker-archive:$TMP/two.tar:ocifs/b:2" -- \
	"docker-archive:$TMP/two.tar:ocifs/b:2"
same "docker-archive:FILE:@1 is skopeo's 0-based index" "docker-archive:$TMP/two.tar:@1" -- \
	"docker-archive:$TMP/two.tar:@1"
same "docker-archive:FILE:@0" "docker-archive:$TMP/two.tar:@0" -- "docker-archive:$TMP/two.tar:@0"
same "--image 2 is the second image (1-based)" --image 2 "$TMP/two.tar" -- \
	"docker-archive:$TMP/two.tar:@1"
same "--image NAME:TAG" --image ocifs/b:2 "$TMP/two.tar" -- "docker-archive:$TMP/two.tar:ocifs/b:2"
same "oci-archive:FILE:REF" "oci-archive:$TMP/o.tar:v1" -- "oci-archive:$TMP/o.tar:v1"
same "oci-archive:FILE" "oci-archive:$TMP/o.tar" -- "oci-archive:$TMP/o.tar"
same "oci:DIR:REF (first)" "oci:$TMP/lay:first" -- "oci:$TMP/lay:first"
same "oci:DIR:REF (second)" "oci:$TMP/lay:second" -- "oci:$TMP/lay:second"
same "--image 2 in an OCI layout is index.json's second entry" --image 2 "$TMP/lay" -- \
	"oci:$TMP/lay:second"
[ "$(cfg "oci:$TMP/lay:first")" != "$(cfg "oci:$TMP/lay:second")" ]
ok $? "the two refs of the layout are different images"
[ "$("$B" cat "oci:$TMP/lay:second" /etc/second.txt)" = second ]
ok $? "cat through oci:DIR:REF reads that image"

expect_fail 1 "two.tar: 2 images; choose one with --image: #1 (docker.io/)?ocifs/a:1, #2 (docker.io/)?ocifs/b:2" \
	"two images, none named: the list counts from 1" -- "$B" inspect "$TMP/two.tar"
expect_fail 1 "lay: 2 images match [^;]*; choose one with --image: #1 first \([^)]*\), #2 second \(" \
	"a layout of two named images: the list gives each its --image number" -- "$B" inspect "$TMP/lay"
one_line_fail 2 "--cache-dir: an empty directory name" "--cache-dir '' is a usage error, not the default" \
	-- "$B" inspect "$TMP/two.tar" --cache-dir ''
mkdir -p "$TMP/mnt-bad"
one_line_fail 1 'no path after "oci-archive:"' "a malformed name given to mount: said once" \
	-- "$B" mount oci-archive: "$TMP/mnt-bad"
expect_fail 1 "two.tar: no image 3 \(manifest.json has 2; 1 = first\)" \
	"--image 3 of 2: says 1 = first" -- "$B" inspect --image 3 "$TMP/two.tar"
expect_fail 1 "no image 0 \(manifest.json has 2; 1 = first\)" \
	"--image 0: says 1 = first" -- "$B" inspect --image 0 "$TMP/two.tar"
expect_fail 1 "lay: no image 3 \(index.json lists 2; 1 = first\)" \
	"--image 3 in a layout: says 1 = first" -- "$B" inspect --image 3 "$TMP/lay"
expect_fail 2 "names the image already; drop --image 1" \
	"a reference in the name and --image: usage error" -- \
	"$B" inspect --image 1 "docker-archive:$TMP/two.tar:ocifs/a:1"
expect_fail 2 "--image @0: --image counts from 1 \(1 = first\)" \
	"--image @0: points to 1-based --image and docker-archive:FILE:@N" -- \
	"$B" inspect --image @0 "$TMP/two.tar"
expect_fail 1 "no image \"ocifs/c:3\"" "docker-archive:FILE:NAME:TAG that is not there" -- \
	"$B" inspect "docker-archive:$TMP/two.tar:ocifs/c:3"
expect_fail 1 "not a directory \(oci: names an OCI layout directory; an archive is oci-archive:FILE\)" \
	"oci: of a file" -- "$B" inspect "oci:$TMP/o.tar"
expect_fail 1 "a directory, not an archive" "oci-archive: of a directory" -- \
	"$B" inspect "oci-archive:$TMP/lay"
expect_fail 1 "^ocifs: registry 127.0.0.1:1/nosuch: manifest latest: .*connect" \
	"docker:// is asked: a registry that does not answer is one line" -- \
	"$B" inspect docker://127.0.0.1:1/nosuch
expect_fail 1 "^ocifs: docker://: a registry image is written docker://NAME\[:TAG\|@DIGEST\]$" \
	"docker:// without a name" -- "$B" inspect docker://
expect_fail 1 "containers-storage: transport is not supported" \
	"containers-storage: says it is not supported" -- "$B" ls containers-storage:nginx /
expect_fail 1 '^ocifs: no file "nginx:latest"; save the image first \(docker save nginx:latest -o nginx.tar\) or name an archive with docker-archive:FILE\[:NAME:TAG\]$' \
	"a bare NAME:TAG that is no file gets the hint" -- "$B" inspect nginx:latest
expect_fail 1 "ocifs: $TMP/nosuch.tar: No such file or directory" \
	"a missing path is just missing" -- "$B" inspect "$TMP/nosuch.tar"

# --- stdin -------------------------------------------------------------------
want=$(cfg "$TMP/a.tar")
"$B" ls -R "$TMP/a.tar" >"$TMP/ls.file"
for z in cat "gzip -c" "zstd -qc"; do
	got=$($z "$TMP/a.tar" | "$B" inspect - 2>"$TMP/err" | tee "$TMP/insp" | awk '$1 == "config:" { print $2 }')
	[ -n "$want" ] && [ "$got" = "$want" ] && grep -q '^image: *stdin$' "$TMP/insp"
	ok $? "$z FILE | ocifs inspect -: the file's image, named stdin"
	[ -s "$TMP/err" ] && diag "$(cat "$TMP/err")"
	$z "$TMP/a.tar" | "$B" ls -R - >"$TMP/ls.stdin" && cmp -s "$TMP/ls.file" "$TMP/ls.stdin"
	ok $? "$z FILE | ocifs ls -R -: the file's tree"
done
[ "$(cat "$TMP/two.tar" | cfg - --image 2)" = "$(skcfg "docker-archive:$TMP/two.tar:@1")" ]
ok $? "stdin with --image 2"
[ "$(cat "$TMP/a.tar" | "$B" cat /dev/stdin /etc/hello.txt)" = "$("$B" cat "$TMP/a.tar" /etc/hello.txt)" ]
ok $? "/dev/stdin is stdin"
[ "$(cfg - <"$TMP/a.tar")" = "$want" ]
ok $? "- with stdin redirected from the file"
mkfifo "$TMP/fifo"
cat "$TMP/a.tar" >"$TMP/fifo" &
[ "$(cfg "$TMP/fifo")" = "$want" ]
ok $? "a FIFO path is read as a stream"
wait
[ -d "$CACHE/spool" ] && [ -z "$(ls -A "$CACHE/spool")" ]
ok $? "nothing is left in the spool ($(ls -A "$CACHE/spool" | head -n 3))"
head -c 20000 "$TMP/a.tar" >"$TMP/short"
expect_fail 1 '^ocifs: stdin: ' "a truncated file on stdin: one line naming stdin" -- \
	sh -c '"$1" inspect - <"$2"' sh "$B" "$TMP/short"
expect_fail 1 '^ocifs: stdin: ' "a truncated stream through a pipe: one line naming stdin" -- \
	sh -c 'cat "$2" | "$1" inspect -' sh "$B" "$TMP/short"
expect_fail 1 '^ocifs: stdin: ' "a garbage stream: one line naming stdin" -- \
	sh -c 'head -c 30000 /dev/urandom | "$1" ls - /' sh "$B"
gzip -c "$TMP/a.tar" >"$TMP/a.tar.gz"
expect_fail 1 '^ocifs: stdin: ' "a truncated gzip stream: one line naming stdin" -- \
	sh -c 'head -c $(($(stat -c %s "$2") / 2)) "$2" | "$1" ls - /' sh "$B" "$TMP/a.tar.gz"
expect_fail 1 '^ocifs: stdin: empty: no image was piped in$' "an empty stream" -- \
	sh -c 'printf "" | "$1" inspect -' sh "$B"
n=$(sh -c 'cat "$2" | "$1" inspect - 2>&1 >/dev/null' sh "$B" "$TMP/short" | grep -c .)
[ "$n" = 1 ]
ok $? "the truncated stream's message is one line ($n)"
[ -z "$(ls -A "$CACHE/spool")" ]
ok $? "failed streams leave nothing in the spool"

# --- the cache directory -----------------------------------------------------
layers=$(jq -r '.[0].Layers[]' "$TMP/ma.json" | sed 's,/layer.tar$,,; s,\.tar$,,')
dbs_in() { # dbs_in DIR: every layer of a.tar has its index in DIR/layers
	local l
	for l in $layers; do [ -f "$1/layers/${l##*/}.db" ] || return 1; done
}
rm -rf "$CACHE"
"$B" index --cache-dir "$TMP/c1" "$TMP/a.tar" >/dev/null && dbs_in "$TMP/c1" && [ ! -e "$CACHE" ]
ok $? "index --cache-dir DIR: the layer indexes are in DIR, nothing in the default"
OCIFS_CACHE_DIR=$TMP/c2 "$B" index "$TMP/a.tar" >/dev/null && dbs_in "$TMP/c2" && [ ! -e "$CACHE" ]
ok $? "OCIFS_CACHE_DIR=DIR: likewise"
OCIFS_CACHE_DIR=$TMP/c3 "$B" index --cache-dir "$TMP/c4" "$TMP/a.tar" >/dev/null &&
	dbs_in "$TMP/c4" && [ ! -e "$TMP/c3" ]
ok $? "--cache-dir wins over OCIFS_CACHE_DIR"
"$B" index "$TMP/a.tar" >/dev/null && dbs_in "$CACHE"
ok $? "neither: \$XDG_CACHE_HOME/ocifs"
(cd "$TMP" && "$B" deps --cache-dir rel "$TMP/a.tar" >/dev/null) && ls "$TMP/rel/deps/"*.json >/dev/null &&
	ls "$TMP/rel/views/"*.view >/dev/null
ok $? "deps --cache-dir (relative): its document and the view are cached there"
stat -c %a "$TMP/c1" | grep -qx 700
ok $? "a new cache directory is private (0700)"

# unwritable: a regular file where the directory should be
shm_before=$(ls -d /dev/shm/ocifs-cache.* 2>/dev/null | sort)
touch "$TMP/notadir"
for cmd in "inspect" "ls -R" "cat@/etc/hello.txt" "stat@/etc/hello.txt" "deps" "history@/etc/hello.txt" \
	"efficiency" "sbom"; do
	c=${cmd%@*} p=
	[ "$cmd" != "$c" ] && p=${cmd#*@}
	# shellcheck disable=SC2086
	"$B" $c --cache-dir "$TMP/notadir" "$TMP/a.tar" $p >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ $rc -eq 0 ] && [ -s "$TMP/out" ] && grep -q "warning.*notadir.*using a temporary cache in /dev/shm/ocifs-cache\..*--cache-dir" "$TMP/err"
	ok $? "$c with an unwritable cache (a file): works, warns naming it (exit $rc)"
	[ $rc -eq 0 ] || diag "$(head -n 3 "$TMP/err")"
done
[ "$(ls -d /dev/shm/ocifs-cache.* 2>/dev/null | sort)" = "$shm_before" ]
ok $? "every temporary cache was removed"
expect_fail 1 "^ocifs: cache: .*$TMP/notadir: .*\(choose another with --cache-dir DIR\)$" \
	"index with an unwritable cache fails naming it and --cache-dir" -- \
	"$B" index --cache-dir "$TMP/notadir" "$TMP/a.tar"
expect_fail 1 "^ocifs: cache: .*$TMP/notadir/sub: .*\(choose another with --cache-dir DIR\)$" "verify: likewise (under a file)" -- \
	"$B" verify --cache-dir "$TMP/notadir/sub" "$TMP/a.tar"
[ "$(cat "$TMP/a.tar" | cfg --cache-dir "$TMP/notadir" -)" = "$want" ]
ok $? "stdin with an unwritable cache is spooled to the temporary one"

# unwritable for root too: a read-only tmpfs, a read-only bind mount
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$TMP/rotmp" "$TMP/robind"
	at_exit "umount '$TMP/rotmp' 2>/dev/null; umount '$TMP/robind' 2>/dev/null"
	if mount -t tmpfs -o ro,mode=0700 tmpfs "$TMP/rotmp" && mount --bind "$TMP/c1" "$TMP/robind" &&
		mount -o remount,bind,ro "$TMP/robind"; then
		for d in rotmp robind; do
			"$B" ls --cache-dir "$TMP/$d" "$TMP/a.tar" /etc >"$TMP/out" 2>"$TMP/err" &&
				grep -qx hello.txt "$TMP/out" && grep -q "Read-only file system.*temporary cache" "$TMP/err"
			ok $? "ls with a read-only cache ($d): works from a temporary cache"
			expect_fail 1 "^ocifs: cache: .*$TMP/$d[:/].*Read-only file system \(choose another with --cache-dir DIR\)$" \
				"index with a read-only cache ($d) fails naming it" -- \
				"$B" index --cache-dir "$TMP/$d" "$TMP/a.tar"
		done
		# a read-only cache whose mode lets others in (0755): the failed
		# chmod 0700 is no second warning; the fallback says it all
		mkdir -p "$TMP/ro755" && chmod 0755 "$TMP/ro755"
		at_exit "umount '$TMP/ro755' 2>/dev/null"
		if mount --bind "$TMP/ro755" "$TMP/ro755" && mount -o remount,bind,ro "$TMP/ro755"; then
			"$B" ls --cache-dir "$TMP/ro755" "$TMP/a.tar" /etc >"$TMP/out" 2>"$TMP/err" &&
				grep -qx hello.txt "$TMP/out" && [ "$(grep -c . "$TMP/err")" = 1 ] &&
				grep -q "Read-only file system.*temporary cache" "$TMP/err"
			ok $? "ls with a read-only 0755 cache: one warning line" || diag "$(cat "$TMP/err")"
			"$B" index --cache-dir "$TMP/ro755" "$TMP/a.tar" >/dev/null 2>"$TMP/err"
			[ $? = 1 ] && [ "$(grep -c . "$TMP/err")" = 1 ]
			ok $? "index with a read-only 0755 cache: one error line" || diag "$(cat "$TMP/err")"
			umount "$TMP/ro755"
		else
			fail "cannot make a read-only bind mount as root"
		fi
		[ "$(ls -d /dev/shm/ocifs-cache.* 2>/dev/null | sort)" = "$shm_before" ]
		ok $? "the temporary caches were removed"
	else
		fail "cannot make a read-only tmpfs or bind mount as root"
	fi
	umount "$TMP/rotmp" 2>/dev/null
	umount "$TMP/robind" 2>/dev/null
else
	skip "read-only mounts need root"
fi

done_testing
