#!/bin/sh
# SPDX-License-Identifier: MIT
# Build a small root file system for tests/unit/test_script.c in ROOT: a
# Debian-like layout (bin -> usr/bin, lib -> usr/lib, lib64 -> usr/lib64),
# the host's real env(1) with the libraries it needs, and copies of a
# static "probe" program standing in for interpreters; it prints the path
# of its own executable (/proc/self/exe) and its argv in hex, so running
# a script in a chroot of ROOT shows what the kernel (and env) really ran
# and with which arguments. Then the scripts: /t/NAME, one per case
# listed in ROOT/cases (NAME<TAB>PATH-or-"-"), and /f/N, random shebang
# lines made from a seeded generator (ROOT/fuzz lists them).
set -u
root=${1:?usage: mkscript.sh ROOT}
rm -rf "$root"
mkdir -p "$root" || exit 1
cd "$root" || exit 1
command -v gcc >/dev/null 2>&1 || { echo "mkscript: no gcc" >&2; exit 1; }

mkdir -p usr/bin usr/sbin usr/lib usr/lib64 usr/local/bin usr/local/sbin opt/bin t f proc etc
ln -s usr/bin bin
ln -s usr/sbin sbin
ln -s usr/lib lib
ln -s usr/lib64 lib64

cat >probe.c <<'C'
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = '\0';
	printf("exe=%s\nargc=%d\n", exe, argc);
	for (int i = 0; i < argc; i++) {
		printf("argv=");
		for (const unsigned char *p = (const unsigned char *)argv[i]; *p; p++)
			printf("%02x", *p);
		printf("\n");
	}
	return 0;
}
C
gcc -O2 -static -o usr/bin/python3.11 probe.c || { echo "mkscript: gcc -static failed" >&2; exit 1; }
rm -f probe.c
cp usr/bin/python3.11 usr/local/bin/tool
cp usr/bin/python3.11 opt/bin/tool2
cp usr/bin/python3.11 opt/interp
ln -s python3.11 usr/bin/python3
ln -s /usr/bin/python3 usr/local/bin/py     # absolute link, resolved in the root
ln -s loop2 usr/bin/loop1                   # a symlink loop
ln -s loop1 usr/bin/loop2
# The real env(1) and what it links against.
cp /usr/bin/env usr/bin/env || exit 1
for lib in $(ldd /usr/bin/env | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'); do
	real=$(readlink -f "$lib")
	mkdir -p ".$(dirname "$real")" ".$(dirname "$lib")"
	cp "$real" ".$real"
	[ "$real" = "$lib" ] || [ -e ".$lib" ] || ln -s "$real" ".$lib"
done
printf 'not an executable\n' >usr/bin/textfile
chmod +x usr/bin/textfile

# Interpreters that are scripts: a chain w1 -> w2 -> ... -> python3.11.
prev=/usr/bin/python3.11
for i in 1 2 3 4 5; do
	printf '#!%s -w%d\n' "$prev" "$i" >usr/local/bin/w$i
	chmod +x usr/local/bin/w$i
	prev=/usr/local/bin/w$i
done
printf '#!/usr/bin/env python3\n' >usr/local/bin/envwrap
chmod +x usr/local/bin/envwrap

: >cases
case_() { # NAME PATH-or-- then the bytes (printf format) on stdin-less arg 3
	printf "$3" >"t/$1"
	chmod +x "t/$1"
	printf '%s\t%s\n' "$1" "$2" >>cases
}
long=$(printf '%0290d' 0 | tr 0 A)
longname=$(printf '%0300d' 0 | tr 0 a)
case_ abs - '#!/usr/bin/python3.11\necho\n'
case_ abs-arg - '#!/usr/bin/python3 -u\n'
case_ abs-link - '#!/usr/local/bin/py -x y\n'
case_ lead-space - '#!   /usr/bin/python3\n'
case_ tabs - '#!\t/usr/bin/python3\t-a\tb \t\n'
case_ trailing-ws - '#!/usr/bin/python3 -x   \n'
case_ no-newline - '#!/usr/bin/python3 -x  '
case_ nul-in-arg - '#!/usr/bin/python3 a\000b\n'
case_ nul-after-sep - '#!/usr/bin/python3 \000\n'
case_ crlf - '#!/usr/bin/python3\r\n'
case_ crlf-arg - '#!/usr/bin/python3 -u\r\n'
case_ long-arg - "#!/usr/bin/python3 $long\\n"
case_ long-name - "#!/$longname\\n"
case_ long-name-sp - "#!/usr/bin/python3 $longname$longname"
case_ empty - '#!\n'
case_ only-bang - '#!'
case_ spaces - '#!     \n'
case_ missing - '#!/usr/bin/nonexistent\n'
case_ missing-dir - '#!/nonexistent/dir/python\n'
case_ loop - '#!/usr/bin/loop1\n'
case_ dir - '#!/usr/bin\n'
case_ textfile - '#!/usr/bin/textfile\n'
case_ relative - '#!usr/bin/python3 -r\n'
case_ nested1 - '#!/usr/local/bin/w1 top\n'
case_ nested4 - '#!/usr/local/bin/w4\n'
case_ nested5 - '#!/usr/local/bin/w5\n'
case_ env - '#!/usr/bin/env python3\n'
case_ env-bin - '#!/bin/env python3\n'
case_ env-crlf - '#!/usr/bin/env python3\r\n'
case_ env-space - '#!/usr/bin/env python3 -u\n'
case_ env-S - '#!/usr/bin/env -S python3 -u -x\n'
case_ env-S-quotes - "#!/usr/bin/env -S \"py\"thon3 'a b' \\\\_c\\n"
case_ env-vS - '#!/usr/bin/env -vS python3\n'
case_ env-S-dd - '#!/usr/bin/env -S -- python3\n'
case_ env-S-i - '#!/usr/bin/env -S -i tool\n'
case_ env-S-i-path - '#!/usr/bin/env -S -i PATH=/opt/bin tool2\n'
case_ env-S-path - '#!/usr/bin/env -S PATH=${PATH}:/opt/bin tool2\n'
case_ env-S-u - '#!/usr/bin/env -S -u PATH tool\n'
case_ env-S-long - '#!/usr/bin/env --split-string=tool -a\n'
case_ env-S-comment - '#!/usr/bin/env -S tool #python3\n'
case_ env-S-badq - "#!/usr/bin/env -S tool 'x\\n"
case_ env-i - '#!/usr/bin/env -i python3\n'
case_ env-noarg - '#!/usr/bin/env\n'
case_ env-assign - '#!/usr/bin/env A=1\n'
case_ env-abs - '#!/usr/bin/env /opt/interp\n'
case_ env-tool - '#!/usr/bin/env tool\n'
case_ env-tool2 /opt/bin:/usr/bin '#!/usr/bin/env tool2\n'
case_ env-tool2-nopath - '#!/usr/bin/env tool2\n'
case_ env-loop - '#!/usr/bin/env loop1\n'
case_ env-wrap - '#!/usr/bin/env envwrap\n'
case_ env-nested - '#!/usr/bin/env w2\n'
case_ env-missing - '#!/usr/bin/env nosuchcmd\n'
case_ env-missing-env - '#!/opt/bin/env python3\n'

# Random lines: pieces a shebang line is made of, seeded.
python3 - "$root" <<'PY' || exit 1
import os, random, sys
root = sys.argv[1]
rng = random.Random(20240611)
pieces = [b' ', b'\t', b'  ', b'/usr/bin/python3', b'/usr/bin/env', b'python3', b'-S', b'-u',
          b'tool', b'\r', b'\x00', b'\n', b'a', b'=', b"'", b'"', b'\\_', b'#', b'/opt/interp',
          b'-i', b'--', b'/usr/local/bin/w3', b'x' * 120, b'/usr/bin/loop1', b'${PATH}']
with open(os.path.join(root, 'fuzz'), 'w') as lst:
    for n in range(160):
        body = b''.join(rng.choice(pieces) for _ in range(rng.randint(1, 9)))
        if rng.random() < 0.6:
            body = rng.choice([b'/usr/bin/python3', b'/usr/bin/env', b' /usr/bin/env']) + body
        data = b'#!' + body + (b'\n' if rng.random() < 0.8 else b'')
        p = os.path.join(root, 'f', str(n))
        open(p, 'wb').write(data)
        os.chmod(p, 0o755)
        lst.write('%d\n' % n)
PY
exit 0
