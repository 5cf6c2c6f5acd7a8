// The schedule of the in-process maintenance passes (plain-PostgreSQL retention, housekeeping): once
// an hour, the first some time after start-up so it does not compete with it; neither timer keeps
// the process alive.

/** Runs `pass` every hour, the first time `firstAfterMs` from now; returns what stops it. */
export function everyHour(pass: () => void, firstAfterMs: number): () => void {
  const timer = setInterval(pass, 3_600_000);
  timer.unref();
  const first = setTimeout(pass, firstAfterMs);
  first.unref();
  return () => {
    clearInterval(timer);
    clearTimeout(first);
  };
}
