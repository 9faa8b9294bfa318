#!/bin/bash
# Every way of writing to the mount fails with EROFS ("Read-only file
# system"), and leaves the tree as it was.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/mountlib.sh"

need_fuse || { done_testing; exit; }
need umoci skopeo jq python3 || { done_testing; exit; }
IMG=$(test_images) || { fail "mkimage.sh failed"; done_testing; exit; }
M=$(mnt_dir mnt)

do_mount "$IMG/oci" "$M" 2>"$TMP/err"
ok $? "mount" || { diag "$(cat "$TMP/err")"; done_testing; exit; }

# erofs DESC CMD...: CMD fails and says "Read-only file system"
erofs() {
	local desc=$1 rc
	shift
	"$@" >/dev/null 2>"$TMP/err"
	rc=$?
	if [ $rc -ne 0 ] && grep -q "Read-only file system" "$TMP/err"; then
		pass "$desc: EROFS"
	else
		fail "$desc: EROFS"
		diag "exit $rc: $(cat "$TMP/err")"
	fi
}

erofs "touch new file" touch "$M/new"
erofs "touch existing file" touch "$M/etc/hello.txt"
erofs "mkdir" mkdir "$M/newdir"
erofs "rm" rm -f "$M/replace-me"
erofs "rmdir" rmdir "$M/usr/share/doc/becomes-dir"
erofs "mv" mv "$M/replace-me" "$M/moved"
erofs "ln" ln "$M/replace-me" "$M/hard"
erofs "ln -s" ln -s target "$M/sym"
erofs "chmod" chmod 0777 "$M/bin/hello"
erofs "chown" chown 1:1 "$M/bin/hello"
erofs "truncate" truncate -s 0 "$M/replace-me"
erofs "echo >>" sh -c "echo x >>'$M/replace-me'"
erofs "echo >" sh -c "echo x >'$M/replace-me'"
erofs "mkfifo" mkfifo "$M/fifo"
erofs "mknod" mknod "$M/null" c 1 3
erofs "setfattr" python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.x", b"1")' "$M/replace-me"
erofs "removexattr" python3 -c 'import os,sys; os.removexattr(sys.argv[1], "user.x")' "$M/replace-me"
erofs "open O_RDWR" python3 -c 'import os,sys; os.open(sys.argv[1], os.O_RDWR)' "$M/replace-me"
erofs "open O_WRONLY|O_TRUNC" python3 -c 'import os,sys; os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC)' "$M/replace-me"
erofs "touch -d (utimes)" touch -d @0 "$M/replace-me"
erofs "cp into the mount" cp "$M/replace-me" "$M/etc/copy"

[ "$(cat "$M/replace-me")" = "now a file" ] && [ ! -e "$M/new" ] && [ ! -e "$M/moved" ] &&
	[ "$(stat -c %a "$M/bin/hello")" = 755 ] && [ "$(ls "$M" | wc -l)" = 5 ]
ok $? "the tree is unchanged"
[ "$(cat "$M/etc/hello.txt")" = "hello from layer 2" ]
ok $? "reading still works"

done_testing
