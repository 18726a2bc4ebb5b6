#!/bin/sh
# sanitize.sh: `make test-sanitize`. The C shim under AddressSanitizer,
# UndefinedBehaviorSanitizer and valgrind; the Go tests with cgocheck2, with
# checkfinalizers and under Go's own -asan.
#
#   sh cshim/testdata/sanitize.sh [step...]
#
# Steps, all by default, in this order:
#   asan             shm_check.c (which includes ../shm.c) built with
#                    -fsanitize=address,undefined and run, leak checking on
#                    unless LeakSanitizer cannot work here
#   valgrind         shm_check.c built without sanitizers, run under memcheck
#   cgocheck2        GOEXPERIMENT=cgocheck2 go test -count=1 ./...
#   checkfinalizers  go test -count=1 ./... with GODEBUG=checkfinalizers=1
#   goasan           CC=gcc go test -asan -count=1 .
#
# Every command is printed before it runs ("+ ..."), every step ends with
# one line "PASS step: ..." or "FAIL step: ...", and the script exits 1 if
# any step failed. A missing tool is a failure, never a skip. Each Go step
# first runs a canary (canary/) that makes the mistake the step is there to
# catch: the step fails if the canary survives, since its checker is then
# off. After the C runs, anything the driver left (it names everything after
# its pid) is a failure; at the end, so is any POSIX object or System V
# segment that appeared during the run and whose creator is gone.
#
# Needs gcc with the ASan/UBSan/LSan runtimes (Debian: gcc, which brings
# libasan8, libubsan1, liblsan0), valgrind (which brings libc6-dbg), go, and
# ipcrm (util-linux).
set -eu
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

CC=gcc
GO=${GO:-go}
CFLAGS="-std=gnu11 -Wall -Wextra -Werror -g"
SANFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
# abort_on_error=1 for UBSan too: gcc links UBSan's runtime apart from ASan's,
# so the death callback shm_check sets never hears of a UBSan halt, which
# would _exit; an abort reaches its SIGABRT handler, which removes what it
# created.
UBSAN_RUN=print_stacktrace=1:halt_on_error=1:abort_on_error=1
ALL_STEPS="asan valgrind cgocheck2 checkfinalizers goasan"
steps=${*:-$ALL_STEPS}
for s in $steps; do
	case " $ALL_STEPS " in
	*" $s "*) ;;
	*) echo "sanitize.sh: unknown step $s (steps: $ALL_STEPS)" >&2; exit 2 ;;
	esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ipcbuf-sanitize.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM HUP

verdicts=
failed=0
pass() { echo "PASS $step: $*"; verdicts="$verdicts
PASS $step: $*"; }
fail() { echo "FAIL $step: $*"; verdicts="$verdicts
FAIL $step: $*"; failed=1; }

# show CMD...: prints "+ CMD", quoting the words that need it, so the line
# can be pasted into a shell.
show() {
	_line=+
	for _w in "$@"; do
		case $_w in
		*[!A-Za-z0-9_./=:,+@%-]* | '')
			_w="'$(printf '%s' "$_w" | sed "s/'/'\\\\''/g")'"
			;;
		esac
		_line="$_line $_w"
	done
	printf '%s\n' "$_line"
}

# run CMD...: prints CMD and runs it, output to ours.
run() {
	show "$@"
	"$@"
}

# logged LOG CMD...: like run, and also keeps the output in LOG; returns
# CMD's status (the pipe through tee would lose it otherwise).
logged() {
	_log=$1
	shift
	show "$@"
	{ "$@" 2>&1 && echo 0 >"$_log.rc" || echo $? >"$_log.rc"; } | tee "$_log"
	return "$(cat "$_log.rc")"
}

# need TOOL HOW: fails the whole run at once if TOOL is not on PATH.
need() {
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "sanitize.sh: $1 is required and missing: $2" >&2
		exit 1
	fi
}

# --- leftovers ---

# objects: one line per POSIX object in /dev/shm and per System V segment,
# "shm NAME" and "sysv SHMID KEY CPID" (from /proc/sysvipc/shm, which is what
# ipcs -m reads).
objects() {
	ls -1A /dev/shm 2>/dev/null | sed 's/^/shm /'
	awk 'NR > 1 { k = $1 < 0 ? $1 + 4294967296 : $1; printf "sysv %s 0x%08x %s\n", $2, k, $5 }' /proc/sysvipc/shm
}

# sweep_pid PID: removes and lists what the C driver with that pid left:
# $TMPDIR/ipcbuf-check-PID-*, /dev/shm/ipcbuf-check-PID-* (and sem.* for
# named semaphores) and segments it created. Its System V semaphore sets,
# which /proc/sysvipc/sem lists without a creator pid, it removes itself,
# even when it dies on a signal or a sanitizer report. Returns 1 if there was anything.
sweep_pid() {
	_left=
	for _f in "${TMPDIR:-/tmp}/ipcbuf-check-$1-"* "/dev/shm/ipcbuf-check-$1-"* "/dev/shm/sem.ipcbuf-check-$1-"*; do
		[ -e "$_f" ] || continue
		_left="$_left $_f"
		rm -rf "$_f"
	done
	for _id in $(awk -v pid="$1" 'NR > 1 && $5 == pid { print $2 }' /proc/sysvipc/shm); do
		_left="$_left shmid=$_id"
		ipcrm -m "$_id" || true
	done
	if [ -n "$_left" ]; then
		echo "shm_check (pid $1) left behind, now removed:$_left"
		return 1
	fi
}

# driver LOG CMD...: runs the C driver (CMD ends with it; env and valgrind
# exec it in the same process, so $! is its pid), then sweeps what it left.
# Returns its exit status, or 1 if it left anything. Sets $summary to its
# "N passed, N failed" line, or says it did not finish.
driver() {
	_log=$1
	shift
	show "$@"
	"$@" >"$_log" 2>&1 &
	_pid=$!
	_rc=0
	wait "$_pid" || _rc=$?
	cat "$_log"
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$_log" | tail -n 1)
	[ -n "$summary" ] || summary="it did not finish (exit status $_rc)"
	case $summary in
	*" passed, 0 failed") ;;
	*) [ "$_rc" -ne 0 ] || _rc=1 ;;
	esac
	sweep_pid "$_pid" || { _rc=1; summary="$summary, and left objects behind"; }
	return "$_rc"
}

# --- the steps ---

step_asan() {
	bin=$work/shm_check_asan
	# shellcheck disable=SC2086 # the flag lists split on purpose
	if ! run "$CC" $CFLAGS $SANFLAGS -o "$bin" "$here/shm_check.c"; then
		fail "gcc cannot build with $SANFLAGS (are libasan8, libubsan1 and liblsan0 installed?)"
		return
	fi

	# Can LeakSanitizer run here? It stops the process with ptrace, which
	# seccomp profiles, ptrace_scope or a tracer (strace, gdb) can refuse.
	leaks=1
	show env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$bin" --leak-probe
	env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$bin" --leak-probe >"$work/probe.log" 2>&1 || true
	if grep -q 'ERROR: LeakSanitizer: detected memory leaks' "$work/probe.log"; then
		echo "LeakSanitizer reported the probe's leak: leak checking on"
	elif grep -q 'LeakSanitizer has encountered a fatal error' "$work/probe.log"; then
		sed 's/^/  | /' "$work/probe.log"
		echo "NOTE: LeakSanitizer cannot run on this machine (see above; ptrace is refused): running with detect_leaks=0"
		leaks=0
	elif grep -q 'error while loading shared libraries' "$work/probe.log"; then
		sed 's/^/  | /' "$work/probe.log"
		fail "the sanitizer runtimes are missing (install libasan8, libubsan1, liblsan0)"
		return
	else
		sed 's/^/  | /' "$work/probe.log"
		fail "LeakSanitizer did not report the probe's deliberate leak (output above)"
		return
	fi

	if driver "$work/asan.log" env "ASAN_OPTIONS=detect_leaks=$leaks:abort_on_error=1" \
		"UBSAN_OPTIONS=$UBSAN_RUN" "$bin"; then
		if [ "$leaks" = 1 ]; then
			pass "shm_check under ASan+UBSan+LSan: $summary"
		else
			pass "shm_check under ASan+UBSan, LeakSanitizer unavailable here: $summary"
		fi
	else
		fail "shm_check under ASan+UBSan: $summary (report above)"
	fi
}

step_valgrind() {
	bin=$work/shm_check
	vg="valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite"
	# shellcheck disable=SC2086
	if ! run "$CC" $CFLAGS -o "$bin" "$here/shm_check.c"; then
		fail "gcc cannot build shm_check.c"
		return
	fi
	# valgrind must count a definite leak as an error, or this step is blind.
	# shellcheck disable=SC2086
	show $vg -q "$bin" --leak-probe
	# shellcheck disable=SC2086
	if $vg -q "$bin" --leak-probe >"$work/vgprobe.log" 2>&1; then
		sed 's/^/  | /' "$work/vgprobe.log"
		fail "valgrind did not report the probe's deliberate leak"
		return
	fi
	echo "valgrind reported the probe's leak"

	# shellcheck disable=SC2086
	if driver "$work/vg.log" $vg "$bin" &&
		grep -q 'ERROR SUMMARY: 0 errors from 0 contexts' "$work/vg.log"; then
		pass "shm_check under valgrind memcheck, 0 errors, no definite leaks: $summary"
	else
		fail "shm_check under valgrind: $summary; $(grep -o 'ERROR SUMMARY: [0-9]* errors' "$work/vg.log" || echo 'no error summary')"
	fi
}

# canary LOG WANT CMD...: runs the canary with CMD (a go command line run in
# canary/), which must fail with output matching WANT. Returns 1 if not.
canary() {
	_log=$1
	_want=$2
	shift 2
	_cmd=$(show "$@")
	echo "+ (cd cshim/testdata/canary && ${_cmd#+ })"
	if (cd "$here/canary" && "$@") >"$_log" 2>&1; then
		sed 's/^/  | /' "$_log"
		echo "the canary survived: the check is not on"
		return 1
	fi
	if ! grep -q "$_want" "$_log"; then
		sed 's/^/  | /' "$_log"
		echo "the canary failed, but without \"$_want\""
		return 1
	fi
	echo "canary caught: $_want"
}

step_cgocheck2() {
	# An unknown experiment is a hard error of the go command.
	show env GOEXPERIMENT=cgocheck2 "$GO" env GOEXPERIMENT
	if ! got=$(env GOEXPERIMENT=cgocheck2 "$GO" env GOEXPERIMENT 2>&1) ||
		! printf '%s\n' "$got" | grep -qw cgocheck2; then
		printf '%s\n' "$got"
		fail "this Go does not accept GOEXPERIMENT=cgocheck2"
		return
	fi
	echo "GOEXPERIMENT=$got"
	if ! canary "$work/c1.log" 'unpinned Go pointer stored into non-Go memory' \
		env GOEXPERIMENT=cgocheck2 "$GO" run . cgocheck; then
		fail "cgocheck2 canary: a Go pointer stored into C memory went unnoticed"
		return
	fi
	if logged "$work/cgocheck2.log" env GOEXPERIMENT=cgocheck2 "$GO" test -count=1 ./...; then
		pass "go test ./... with GOEXPERIMENT=cgocheck2"
	else
		fail "go test ./... with GOEXPERIMENT=cgocheck2 (output above)"
	fi
}

# The setting goes on the test binaries only (through -exec), not on the go
# command, compiler and linker, which would print a line per GC cycle of
# their own. It makes the runtime throw ("fatal error: detected possible
# issues with cleanups and/or finalizers") after printing its report, so the
# test binary fails; the report line is looked for too, in case a future Go
# only warns.
step_checkfinalizers() {
	cf="env GODEBUG=checkfinalizers=1"
	report='LIKELY CLEANUP/FINALIZER ISSUES\|detected possible issues with cleanups'
	if ! canary "$work/f1.log" 'detected possible issues with cleanups' \
		"$GO" run -exec "$cf" . cleanup; then
		fail "checkfinalizers canary: a cleanup whose argument reaches its object went unnoticed"
		return
	fi
	if logged "$work/cf.log" "$GO" test -count=1 -exec "$cf" ./...; then
		if grep -q "$report" "$work/cf.log"; then
			fail "go test passed but checkfinalizers reported the issues above"
		else
			pass "go test ./... with GODEBUG=checkfinalizers=1, no cleanup/finalizer issues"
		fi
	else
		if grep -q "$report" "$work/cf.log"; then
			fail "checkfinalizers found cleanup/finalizer issues (report above)"
		else
			fail "go test ./... with GODEBUG=checkfinalizers=1 (output above)"
		fi
	fi
}

step_goasan() {
	if ! canary "$work/a1.log" 'ERROR: AddressSanitizer: heap-buffer-overflow' \
		env CC="$CC" "$GO" run -asan . asan; then
		fail "Go -asan canary: a C heap overflow went unnoticed"
		return
	fi
	# Go's -asan also checks C leaks at exit (Go 1.25+): same LeakSanitizer
	# verdict as the asan step, if it ran.
	opts=ASAN_OPTIONS=detect_leaks=${leaks:-1}
	if logged "$work/goasan.log" env CC="$CC" "$opts" "$GO" test -asan -count=1 .; then
		pass "go test -asan . with gcc's ASan (the allocation-count tests skip themselves under -asan, see asan_test.go)"
	else
		fail "go test -asan . (output above)"
	fi
}

# --- main ---

need "$CC" "apt-get install gcc"
need "$GO" "install Go (https://go.dev/dl/) and put it on PATH"
case " $steps " in *" valgrind "*) need valgrind "apt-get install valgrind" ;; esac
need ipcrm "apt-get install util-linux"
[ -r /proc/sysvipc/shm ] || { echo "sanitize.sh: /proc/sysvipc/shm is not readable" >&2; exit 1; }

objects | sort >"$work/before"
start=$(date +%s)
for step in $steps; do
	echo
	echo "=== $step"
	"step_$step"
done

# What appeared during the run and whose creator is gone was left behind by
# something the run started: POSIX objects named ipcbuf-* (the tests, the
# demo and shm_check put the creator's pid after the first word) and
# unattached System V segments. A live creator is someone else's process,
# e.g. a concurrent test run, and other names are not ipcbuf's: those are
# left alone.
step=leftovers
objects | sort >"$work/after"
left=
while read -r kind a b c; do
	case $kind in
	shm)
		# Named semaphores are files too, sem.NAME.
		case $a in ipcbuf-* | sem.ipcbuf-*) ;; *) continue ;; esac
		pid=$(printf '%s\n' "$a" | sed -n 's/^\(sem\.\)\{0,1\}ipcbuf-[a-z]*-\([0-9][0-9]*\).*/\2/p')
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then continue; fi
		left="$left /dev/shm/$a"
		rm -f "/dev/shm/$a"
		;;
	sysv)
		if kill -0 "$c" 2>/dev/null; then continue; fi
		nattch=$(awk -v id="$a" 'NR > 1 && $2 == id { print $7 }' /proc/sysvipc/shm)
		if [ "${nattch:-0}" != 0 ]; then continue; fi
		left="$left shmid=$a(key=$b,cpid=$c)"
		ipcrm -m "$a" || true
		;;
	esac
done <<EOF
$(comm -13 "$work/before" "$work/after")
EOF
echo
if [ -n "$left" ]; then
	fail "left in /dev/shm or ipcs -m, now removed:$left"
else
	pass "nothing new left in /dev/shm or ipcs -m"
fi

echo
echo "=== summary ($(($(date +%s) - start))s)$verdicts"
exit "$failed"
