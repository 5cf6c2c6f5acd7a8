// The Node flags the process runs with (docs/decisions/0013-heap-settings.md and 0016), for the scripts that
// start it as production does. package.json's start, demo and bench scripts and the Dockerfile's CMD
// cannot import this: tests/deploy/compose.test.ts holds them to it.
export const heapFlags = ['--max-semi-space-size=64', '--heap-growing-percent=50', '--single-threaded-gc'];
