// Latency histogram with fixed buckets: 1 ms wide up to 1 s, 10 ms wide up to 120 s, one overflow
// bucket. Constant memory whatever the message rate, and histograms from several processes add up.

const fineBuckets = 1_000;
const coarseBuckets = 11_900;
const size = fineBuckets + coarseBuckets + 1;

export interface HistogramData {
  counts: number[];
  max: number;
  total: number;
}

export interface LatencySummary {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

export class Histogram {
  private counts = new Float64Array(size);
  private total = 0;
  private max = 0;

  add(ms: number): void {
    const value = ms < 0 ? 0 : ms;
    const index =
      value < fineBuckets
        ? Math.floor(value)
        : Math.min(size - 1, fineBuckets + Math.floor((value - fineBuckets) / 10));
    this.counts[index]!++;
    this.total++;
    if (value > this.max) this.max = value;
  }

  merge(data: HistogramData): void {
    for (let i = 0; i < size; i++) this.counts[i]! += data.counts[i] ?? 0;
    this.total += data.total;
    if (data.max > this.max) this.max = data.max;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.max = 0;
  }

  /** Compact form for IPC: trailing empty buckets are dropped. */
  data(): HistogramData {
    let last = size - 1;
    while (last >= 0 && this.counts[last] === 0) last--;
    return { counts: Array.from(this.counts.subarray(0, last + 1)), max: this.max, total: this.total };
  }

  /** Upper edge of the bucket holding the q-quantile, in ms. */
  quantile(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.ceil(q * this.total);
    let seen = 0;
    for (let i = 0; i < size; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const upper = i < fineBuckets ? i + 1 : fineBuckets + (i - fineBuckets + 1) * 10;
        return Math.min(upper, Math.ceil(this.max));
      }
    }
    return Math.ceil(this.max);
  }

  summary(): LatencySummary {
    return {
      samples: this.total,
      p50: this.quantile(0.5),
      p99: this.quantile(0.99),
      max: Math.round(this.max),
    };
  }
}
