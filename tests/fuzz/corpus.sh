# Sourced by replay.sh and run.sh. corpus_for TARGET: the directories of
# the shared corpus ($C) whose files are inputs of that fuzz target.
corpus_for() {
	[ -d "$C" ] || return 0
	case $1 in
	tar) echo "$C/tar" ;;
	gzidx | zstdidx) echo "$C/tar/tarsplit $C/tar/libarchive" ;;
	image_json) echo "$C/images" ;;
	rpmdb) echo "$C/pkgdb/rpm" ;;
	esac
}
