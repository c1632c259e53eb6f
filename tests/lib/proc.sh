# proc.sh - processes a test starts, bounds and kills on purpose.
# Sourced by tap.sh, and by scripts with TAP helpers of their own.

# KILLABLE: the environment for a process a test kills on purpose.  Under
# AddressSanitizer, LeakSanitizer stops the process at exit to scan it; a
# SIGKILL that lands during that scan leaves the scanner writing "Unable to
# get registers from thread" into the sanitizer log, which fails the run
# though nothing leaked.  A killed process has no leaks to report anyway:
# its exit never runs.  Use as: env "$KILLABLE" CMD...
KILLABLE="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# watchdog_start SECONDS NAME: the whole script ends within SECONDS,
# whatever hangs: the watchdog says "Bail out!" and sends the script
# SIGTERM (trap it to clean up).  Sets WATCHDOG to its pid; kill it on
# exit.  (sleep must not hold our stdout open, or the TAP reader waits
# for it.)
watchdog_start() {
	(
		trap 'kill $sp 2>/dev/null; exit 0' TERM
		sleep "$1" >/dev/null 2>&1 &
		sp=$!
		wait $sp
		echo "Bail out! $2 watchdog: took over $1 s"
		kill -TERM $$
	) &
	WATCHDOG=$!
}
