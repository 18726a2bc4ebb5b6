#!/bin/sh
# wine/run.sh: run a Windows program under Wine, in a Wine prefix of
# ipcbuf's own, and give back its exit status.
#
#   wine/run.sh PROGRAM.exe [ARGUMENTS...]
#
# The first run makes the prefix (7-20 s) and checks whether this Wine has
# ProcessPrng in a bcryptprimitives.dll of its own (wine/probe.c). Without
# it (Wine 8.0, Debian 12's) no Go program starts, so the script builds
# wine/prng.c's stand-in with mingw-w64 and copies it into the prefix's
# system32; a Wine that has the function is left alone. Later runs reuse the
# prefix. Every wine call runs under timeout(1), and the prefix's wineserver
# is stopped at the end, so nothing hangs and nothing is left running.
#
# Every process the program starts (a test re-running its own binary in a
# role) runs in the same prefix and so talks to the same wineserver: they
# share named sections, semaphores and mutexes as processes of one Windows
# session do.
#
# Environment:
#   IPCBUF_WINE_DIR      where the prefix and the helpers built for it live
#                        (default: build/wine in the repository, which git
#                        ignores); the user's own ~/.wine is never touched
#   IPCBUF_WINE_TIMEOUT  the longest the program may run, as timeout(1)
#                        takes it (default 40m); then it is stopped and the
#                        script exits 124
#   MINGW_CC             the mingw-w64 C compiler (x86_64-w64-mingw32-gcc)
#   WINEDEBUG            Wine's own logging (default -all: none)
set -eu

me=wine/run.sh
repo=$(cd "$(dirname "$0")/.." && pwd)

if [ $# -lt 1 ]; then
	echo "usage: $me PROGRAM.exe [ARGUMENTS...]" >&2
	exit 2
fi
exe=$1
shift
if [ ! -f "$exe" ]; then
	echo "$me: $exe: no such file" >&2
	exit 2
fi

MINGW_CC=${MINGW_CC:-x86_64-w64-mingw32-gcc}
missing=
for tool in wine wineserver "$MINGW_CC" timeout flock; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	echo "$me: missing:$missing (Debian packages: wine wine64 gcc-mingw-w64-x86-64; timeout is coreutils', flock util-linux's)" >&2
	exit 2
fi

dir=${IPCBUF_WINE_DIR:-$repo/build/wine}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
limit=${IPCBUF_WINE_TIMEOUT:-40m}

WINEPREFIX=$dir/prefix
WINEDEBUG=${WINEDEBUG:--all}
# A 64-bit prefix: Debian's wine64 has no 32-bit half unless wine32:i386 is
# installed, and Go's windows/amd64 programs need none.
WINEARCH=win64
export WINEPREFIX WINEDEBUG WINEARCH

# Runs are serialised on the prefix: the first one makes it while a second
# would otherwise use it half-made, and each run stops the prefix's
# wineserver at its end, which would kill another run's processes.
exec 9>"$dir/lock"
if ! flock -w 3600 9; then
	echo "$me: $dir is in use by another run for over an hour; giving up" >&2
	exit 1
fi

stop_server() {
	timeout 30 wineserver -k >/dev/null 2>&1 || true
	timeout 30 wineserver -w >/dev/null 2>&1 || true
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# probe runs wine/probe.c's program in system32-only lookup from a directory
# holding no DLL: 0 when the prefix gives ProcessPrng, 1 when not.
probe() {
	(cd "$dir/probe" && timeout -k 10 120 wine "$dir/probe/probe.exe") >>"$dir/setup.log" 2>&1
}

dll=$dir/dll/bcryptprimitives.dll
system32_dll=$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll

build_dll() {
	mkdir -p "$dir/dll"
	if [ ! -f "$dll" ] || [ "$repo/wine/prng.c" -nt "$dll" ]; then
		"$MINGW_CC" -std=c11 -Wall -Wextra -Werror -pedantic -O2 -shared \
			-o "$dll" "$repo/wine/prng.c" -ladvapi32 -Wl,--kill-at
	fi
}

setup_failed() {
	echo "$me: setting up the Wine prefix $WINEPREFIX failed: $1" >&2
	echo "$me: Wine's output ($dir/setup.log):" >&2
	tail -n 30 "$dir/setup.log" >&2 || true
	exit 1
}

version=$(timeout 60 wine --version 2>/dev/null) || setup_failed "wine --version did not answer"
stamp=$dir/setup.done
# The prefix is set up again when it is new or the Wine installed changed
# (a newer Wine may bring its own ProcessPrng, and then ours must go).
if [ ! -f "$stamp" ] || [ "$(sed -n 1p "$stamp")" != "$version" ]; then
	rm -f "$stamp"
	: >"$dir/setup.log"
	echo "$me: setting up the Wine prefix $WINEPREFIX ($version)" >&2
	# mscoree and mshtml off: a new prefix would otherwise try to install
	# Wine Mono and Gecko, which the tests do not use.
	WINEDLLOVERRIDES='mscoree,mshtml=' timeout -k 10 600 wineboot -u \
		>>"$dir/setup.log" 2>&1 || setup_failed "wineboot did not finish"
	if [ -f "$dir/ours" ]; then
		# Ours from an earlier setup: take it away so the probe sees Wine's.
		rm -f "$system32_dll" "$dir/ours"
	fi
	mkdir -p "$dir/probe"
	"$MINGW_CC" -std=c11 -Wall -Wextra -Werror -pedantic -O2 \
		-o "$dir/probe/probe.exe" "$repo/wine/probe.c"
	status=0
	probe || status=$?
	case $status in
	0)
		echo "$me: this Wine has ProcessPrng; its bcryptprimitives.dll is kept" >&2
		;;
	1)
		echo "$me: this Wine lacks ProcessPrng (bcryptprimitives.dll), which Go's runtime needs: installing wine/prng.c's stand-in" >&2
		build_dll
		cp "$dll" "$system32_dll"
		: >"$dir/ours"
		probe || setup_failed "ProcessPrng still missing after installing $system32_dll"
		;;
	*)
		setup_failed "the ProcessPrng probe exited $status"
		;;
	esac
	echo "$version" >"$stamp"
elif [ -f "$dir/ours" ]; then
	# A changed wine/prng.c is rebuilt and installed.
	build_dll
	cmp -s "$dll" "$system32_dll" || cp "$dll" "$system32_dll"
fi

status=0
timeout -k 10 "$limit" wine "$exe" "$@" || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
	echo "$me: $exe $* did not finish within $limit; stopped (exit $status)" >&2
fi
exit "$status"
