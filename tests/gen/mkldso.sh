#!/bin/sh
# SPDX-License-Identifier: MIT
# mkldso.sh OUTDIR: test roots for tests/unit/test_ldso.c, built with the
# real toolchain and this machine's real loaders, so each root can run
# `chroot ROOT /lib64/ld-linux-x86-64.so.2 --list BIN` (glibc) or
# `chroot ROOT /lib/ld-musl-x86_64.so.1 --list BIN` (musl) as the oracle:
#   OUTDIR/g     glibc root: the host's ld.so + libc (64 and 32 bit), an
#                ld.so.cache from `ldconfig -r`, and programs for RPATH vs
#                RUNPATH ($ORIGIN, inheritance), a missing library, a
#                32-bit library before a 64-bit one, LD_LIBRARY_PATH order,
#                $LIB/$PLATFORM, cache/stale cache/ld.so.conf, a symlink
#                loop, a NEEDED cycle, NEEDED paths, -z nodefaultlib, the
#                same file under two names, glibc-hwcaps and legacy
#                subdirs, a RUNPATH that stops RPATH inheritance
#   OUTDIR/m     musl root: ld-musl, /etc/ld-musl-x86_64.path (newlines and
#                colons), inherited RUNPATH, a 32-bit library first in the
#                path, a symlink loop in the path
#   OUTDIR/m0    the musl root without the path file (musl's default)
#   OUTDIR/platform  the host loader's $PLATFORM; OUTDIR/hwlevel its
#                highest supported x86-64-vN (0 if none); OUTDIR/cases the
#                programs to compare, "ROOT PATH [LD_LIBRARY_PATH]"
# A stamp (this script's checksum) makes reruns instant. Needs gcc; the
# 32-bit and musl parts are skipped (and absent from "cases") without
# gcc -m32 / musl-gcc.
# shellcheck disable=SC2016 # $ORIGIN, $LIB, $PLATFORM are for the loader, not the shell
set -eu
out=${1:?usage: mkldso.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
sum=$(cksum <"$0" | cut -d' ' -f1)
[ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$sum" ] && exit 0
rm -rf "$out/g" "$out/m" "$out/m0" "$out/src" "$out/cases" "$out/.stamp"
mkdir -p "$out/src"
S=$out/src
cd "$S"

LDSO64=/lib64/ld-linux-x86-64.so.2
[ -e "$LDSO64" ] || { echo "mkldso: no $LDSO64" >&2; exit 1; }
printf 'int main(void){return 0;}\n' >main.c

# lib NAME OUT [gcc args...]: a shared library defining fn_NAME.
lib() {
	n=$1 o=$2
	shift 2
	printf 'int fn_%s(void){return 1;}\n' "$n" >"$n.c"
	gcc -O -fPIC -shared -o "$o" "$n.c" -Wl,--no-as-needed "$@"
}
# prog OUT [gcc args...]
prog() {
	o=$1
	shift
	gcc -O -o "$o" main.c -Wl,--no-as-needed "$@"
}

# --- the glibc root -------------------------------------------------------
G=$out/g
ML=/lib/x86_64-linux-gnu
mkdir -p "$G$ML" "$G/lib64" "$G/etc" "$G/app/bin" "$G/opt/conf" "$G/opt/stale" "$G/usr/lib"
cp -L "$LDSO64" "$G$ML/ld-linux-x86-64.so.2"
ln -s "$ML/ld-linux-x86-64.so.2" "$G/lib64/ld-linux-x86-64.so.2"
cp -L "$ML/libc.so.6" "$G$ML/libc.so.6"
m32=0
if [ -e /lib32/ld-linux.so.2 ] && gcc -m32 -o m32probe main.c 2>/dev/null; then
	m32=1
	mkdir -p "$G/lib32"
	cp -L /lib32/ld-linux.so.2 /lib32/libc.so.6 "$G/lib32/"
	ln -s /lib32/ld-linux.so.2 "$G/lib/ld-linux.so.2"
fi

# The host loader's $PLATFORM, $LIB and hwcaps levels, from the loader itself.
"$LDSO64" --help | sed -n 's/^ *\([^ ]*\) (AT_PLATFORM; supported, searched)$/\1/p' | head -n1 >"$out/platform"
lvl=0
for v in 2 3 4; do
	"$LDSO64" --help | grep -q "x86-64-v$v (supported, searched)" && lvl=$v
done
echo "$lvl" >"$out/hwlevel"
lib probe libprobe.so -Wl,-soname,libprobe.so
prog probe -L. -l:libprobe.so -Wl,--disable-new-dtags,-rpath,'/PROBE/$LIB/@'
rm libprobe.so
libdir=$(LD_DEBUG=libs ./probe 2>&1 | sed -n 's|.*search path=/PROBE/\([^@]*\)/@.*|\1|p' | head -n1)
plat=$(cat "$out/platform")
if [ -z "$libdir" ] || [ -z "$plat" ]; then
	echo "mkldso: cannot learn \$LIB/\$PLATFORM from $LDSO64" >&2
	exit 1
fi

A=$G/app
cases=""
case_add() { cases="$cases$1
"; }

# 1. RPATH with $ORIGIN, inherited by liba's own NEEDED.
mkdir -p "$A/lib"
lib b "$A/lib/libb.so" -Wl,-soname,libb.so
lib a "$A/lib/liba.so" -Wl,-soname,liba.so -L"$A/lib" -l:libb.so
prog "$A/bin/rpath" -L"$A/lib" -l:liba.so -Wl,--disable-new-dtags,-rpath,'$ORIGIN/../lib'
case_add "g /app/bin/rpath"
case_add "g /app/lib/liba.so"
# 2. RUNPATH with $ORIGIN is not inherited: liba2's libb2 is not found.
mkdir -p "$A/lib2"
lib b2 "$A/lib2/libb2.so" -Wl,-soname,libb2.so
lib a2 "$A/lib2/liba2.so" -Wl,-soname,liba2.so -L"$A/lib2" -l:libb2.so
prog "$A/bin/runpath" -L"$A/lib2" -l:liba2.so -Wl,--enable-new-dtags,-rpath,'${ORIGIN}/../lib2'
case_add "g /app/bin/runpath"
# 3. A missing library.
lib missing libmissing.so -Wl,-soname,libmissing.so
prog "$A/bin/missing" -L. -l:libmissing.so
case_add "g /app/bin/missing"
# 4. A 32-bit library of the same name earlier in the path is skipped.
mkdir -p "$A/l32" "$A/l64"
lib cls "$A/l64/libcls.so" -Wl,-soname,libcls.so
prog "$A/bin/cls64" -L"$A/l64" -l:libcls.so -Wl,--disable-new-dtags,-rpath,/app/l32:/app/l64
case_add "g /app/bin/cls64"
if [ "$m32" = 1 ]; then
	lib cls "$A/l32/libcls.so" -m32 -Wl,-soname,libcls.so
	gcc -m32 -O -o "$A/bin/cls32" main.c -Wl,--no-as-needed -L"$A/l32" -l:libcls.so \
		-Wl,--disable-new-dtags,-rpath,/app/l64:/app/l32
	case_add "g /app/bin/cls32"
else
	printf 'not ELF, 32-bit build unavailable\n' >"$A/l32/libcls.so"
fi
# 5. LD_LIBRARY_PATH: after RPATH, before RUNPATH.
mkdir -p "$A/llp" "$A/llp2"
lib llp "$A/llp/libllp.so" -Wl,-soname,libllp.so
lib llp "$A/llp2/libllp.so" -Wl,-soname,libllp.so
prog "$A/bin/llp-runpath" -L"$A/llp" -l:libllp.so -Wl,--enable-new-dtags,-rpath,/app/llp2
prog "$A/bin/llp-rpath" -L"$A/llp" -l:libllp.so -Wl,--disable-new-dtags,-rpath,/app/llp2
case_add "g /app/bin/llp-runpath /app/none:/app/llp"
case_add "g /app/bin/llp-rpath /app/llp"
case_add "g /app/bin/llp-runpath"
# 6. $LIB and $PLATFORM (as the host loader expands them).
mkdir -p "$A/$libdir/$plat"
lib plat "$A/$libdir/$plat/libplat.so" -Wl,-soname,libplat.so
prog "$A/bin/plat" -L"$A/$libdir/$plat" -l:libplat.so \
	-Wl,--disable-new-dtags,-rpath,'/app/none/$PLATFORM:/app/$LIB/${PLATFORM}'
case_add "g /app/bin/plat"
# 7. ld.so.cache; a library added after ldconfig (stale: in ld.so.conf's
#    dir but not in the cache); a cache entry whose file is gone.
lib conf "$G/opt/conf/libconf.so" -Wl,-soname,libconf.so
lib gone "$G/opt/conf/libgone.so" -Wl,-soname,libgone.so
lib stale libstale.so -Wl,-soname,libstale.so
prog "$A/bin/conf" -L"$G/opt/conf" -L. -l:libconf.so -l:libstale.so -l:libgone.so
case_add "g /app/bin/conf"
# 8. A symlink loop first in the RPATH.
mkdir -p "$A/loop"
ln -s libloop.so "$A/loop/libloop.so"
lib loop "$A/lib/libloop.so" -Wl,-soname,libloop.so
prog "$A/bin/loop" -L"$A/lib" -l:libloop.so -Wl,--disable-new-dtags,-rpath,/app/loop:/app/lib
case_add "g /app/bin/loop"
# 9. A NEEDED cycle: libcyc1 -> libcyc2 -> libcyc1.
mkdir -p "$A/cyc"
lib cyc1 "$A/cyc/libcyc1.so" -Wl,-soname,libcyc1.so
lib cyc2 "$A/cyc/libcyc2.so" -Wl,-soname,libcyc2.so -L"$A/cyc" -l:libcyc1.so
lib cyc1 "$A/cyc/libcyc1.so" -Wl,-soname,libcyc1.so -L"$A/cyc" -l:libcyc2.so \
	-Wl,--disable-new-dtags,-rpath,'$ORIGIN'
prog "$A/bin/cyc" -L"$A/cyc" -l:libcyc1.so -Wl,--disable-new-dtags,-rpath,'$ORIGIN/../cyc'
case_add "g /app/bin/cyc"
# 10. NEEDED entries with '/' (plain and with $ORIGIN).
mkdir -p "$A/direct"
lib direct "$A/direct/libdirect.so" -Wl,-soname,/app/direct/libdirect.so
lib dorig "$A/direct/libdorig.so" -Wl,-soname,'$ORIGIN/../direct/libdorig.so'
prog "$A/bin/direct" -L"$A/direct" -l:libdirect.so -l:libdorig.so
case_add "g /app/bin/direct"
# 11. -z nodeflib: cache entries and default dirs of the system are off.
prog "$A/bin/nodeflib" -L"$G/opt/conf" -l:libconf.so -Wl,-z,nodefaultlib
case_add "g /app/bin/nodeflib"
# 12. One file (no SONAME) under two names: loaded once.
mkdir -p "$A/same"
lib same "$A/same/libsame.so.1"
ln -s libsame.so.1 "$A/same/libalias.so"
prog "$A/bin/same" -L"$A/same" -l:libsame.so.1 -l:libalias.so -Wl,--disable-new-dtags,-rpath,/app/same
case_add "g /app/bin/same"
# 13. glibc-hwcaps and legacy hwcap subdirectories.
mkdir -p "$A/hw/glibc-hwcaps/x86-64-v2" "$A/leg/tls"
lib hw "$A/hw/libhw.so" -Wl,-soname,libhw.so
lib hw "$A/hw/glibc-hwcaps/x86-64-v2/libhw.so" -Wl,-soname,libhw.so
lib leg "$A/leg/libleg.so" -Wl,-soname,libleg.so
lib leg "$A/leg/tls/libleg.so" -Wl,-soname,libleg.so
prog "$A/bin/hw" -L"$A/hw" -l:libhw.so -Wl,--disable-new-dtags,-rpath,/app/hw
prog "$A/bin/leg" -L"$A/leg" -l:libleg.so -Wl,--disable-new-dtags,-rpath,/app/leg
case_add "g /app/bin/hw"
case_add "g /app/bin/leg"
# 14. A RUNPATH in the needing library turns off the inherited RPATH.
mkdir -p "$A/r1"
lib deep "$A/r1/libdeep.so" -Wl,-soname,libdeep.so
lib run "$A/r1/librun.so" -Wl,-soname,librun.so -L"$A/r1" -l:libdeep.so \
	-Wl,--enable-new-dtags,-rpath,/app/nothing
prog "$A/bin/blocked" -L"$A/r1" -l:librun.so -Wl,-rpath-link,"$A/r1" \
	-Wl,--disable-new-dtags,-rpath,/app/r1
case_add "g /app/bin/blocked"

{
	echo /opt/conf
	echo /opt/stale
	[ "$m32" = 1 ] && echo /lib32
	true
} >"$G/etc/ld.so.conf"
ldconfig -X -r "$G"
rm "$G/opt/conf/libgone.so"
cp libstale.so "$G/opt/stale/"

# --- the musl root --------------------------------------------------------
if command -v musl-gcc >/dev/null 2>&1 && [ -e /lib/ld-musl-x86_64.so.1 ]; then
	M=$out/m
	mkdir -p "$M/lib" "$M/etc" "$M/app/bin" "$M/app/mlib" "$M/opt/m32" "$M/opt/mp1" "$M/opt/mp2"
	cp -L /lib/ld-musl-x86_64.so.1 "$M/lib/ld-musl-x86_64.so.1"
	printf '/opt/m32\n/opt/mp1:/opt/mp2\n' >"$M/etc/ld-musl-x86_64.path"
	mlib() {
		n=$1 o=$2
		shift 2
		printf 'int fn_%s(void){return 1;}\n' "$n" >"$n.c"
		musl-gcc -O -fPIC -shared -o "$o" "$n.c" -Wl,--no-as-needed "$@"
	}
	mlib m1 "$M/opt/mp1/libm1.so" -Wl,-soname,libm1.so
	mlib m2 "$M/opt/mp2/libm2.so" -Wl,-soname,libm2.so
	mlib mr2 "$M/app/mlib/libmr2.so" -Wl,-soname,libmr2.so
	mlib mr "$M/app/mlib/libmr.so" -Wl,-soname,libmr.so -L"$M/app/mlib" -l:libmr2.so
	mlib mmiss libmmiss.so -Wl,-soname,libmmiss.so
	musl-gcc -O -o "$M/app/bin/mexe" main.c -Wl,--no-as-needed -L"$M/opt/mp1" -L"$M/opt/mp2" -L"$M/app/mlib" -L. \
		-l:libm1.so -l:libm2.so -l:libmr.so -l:libmmiss.so \
		-Wl,--enable-new-dtags,-rpath,'$ORIGIN/../mlib'
	case_add "m /app/bin/mexe"
	case_add "m /app/bin/mexe /opt/mp2"
	# a 32-bit library first in the musl path
	mlib m32 "$M/opt/mp1/libm32.so" -Wl,-soname,libm32.so
	if [ "$m32" = 1 ]; then
		printf 'int fn_m32(void){return 1;}\n' >m32.c
		gcc -m32 -O -fPIC -shared -nostdlib -o "$M/opt/m32/libm32.so" m32.c -Wl,-soname,libm32.so
	fi
	musl-gcc -O -o "$M/app/bin/m32use" main.c -Wl,--no-as-needed -L"$M/opt/mp1" -l:libm32.so
	case_add "m /app/bin/m32use"
	# a symlink loop first in the musl path
	ln -s libmloop.so "$M/opt/m32/libmloop.so"
	mlib mloop "$M/opt/mp2/libmloop.so" -Wl,-soname,libmloop.so
	musl-gcc -O -o "$M/app/bin/mloop" main.c -Wl,--no-as-needed -L"$M/opt/mp2" -l:libmloop.so
	case_add "m /app/bin/mloop"
	case_add "m /app/mlib/libmr.so"
	# no path file: the built-in default /lib:/usr/local/lib:/usr/lib
	cp -a "$M" "$out/m0"
	rm "$out/m0/etc/ld-musl-x86_64.path"
	mkdir -p "$out/m0/usr/local/lib" "$out/m0/usr/lib"
	cp "$M/opt/mp1/libm1.so" "$out/m0/usr/local/lib/"
	cp "$M/opt/mp2/libm2.so" "$out/m0/usr/lib/"
	case_add "m0 /app/bin/mexe"
else
	echo "mkldso: no musl-gcc or ld-musl: musl root skipped" >&2
fi

printf '%s' "$cases" >"$out/cases"
echo "$sum" >"$out/.stamp"
