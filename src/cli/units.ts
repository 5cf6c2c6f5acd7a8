// What the command-line tools print for a person: sizes and durations in human units, numbers in the
// Vietnamese way (1.234.567,8) since every text a person reads is Vietnamese first.

const number = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 1 });

/** 1536 → "1,5 KiB"; 3_221_225_472 → "3 GiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${number.format(unit === 0 ? value : Math.round(value * 10) / 10)} ${units[unit]}`;
}

/** 850 → "850 ms"; 12_400 → "12,4 s"; 192_000 → "3 min 12 s"; 7_500_000 → "2 h 5 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${number.format(s)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  return `${Math.floor(whole / 3600)} h ${Math.floor((whole % 3600) / 60)} min`;
}

export function formatCount(n: number): string {
  return number.format(n);
}

/**
 * A progress line for a long job, rewritten in place on a terminal and printed at most every few
 * seconds otherwise (a log file or CI gets a line now and then, not thousands).
 */
export function createProgress(label: string, out: NodeJS.WriteStream = process.stderr) {
  const tty = Boolean(out.isTTY);
  const everyMs = tty ? 200 : 5_000;
  let last = 0;
  let shown = false;
  return {
    update(text: string, force = false) {
      const now = Date.now();
      if (!force && now - last < everyMs) return;
      last = now;
      shown = true;
      if (tty) out.write(`\r\x1b[2K${label}: ${text}`);
      else out.write(`${label}: ${text}\n`);
    },
    done(text: string) {
      if (tty && shown) out.write('\r\x1b[2K');
      out.write(`${label}: ${text}\n`);
    },
  };
}
