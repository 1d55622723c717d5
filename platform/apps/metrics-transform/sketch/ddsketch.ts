import { InvalidArgumentError } from '../../../../stages/index';

/**
 * A quantile sketch in the manner of DDSketch (Masson, Rim, Lee, VLDB 2019): values are
 * counted in logarithmic buckets, so any quantile it returns is within a relative error
 * `alpha` of the exact one.
 *
 * The bound, precisely: let `x` be the exact q-quantile of the values added, taken as the
 * element of rank `floor(q · (n − 1))` (0-based) of the sorted values. `quantile(q)`
 * returns `x̂` with `|x̂ − x| ≤ alpha · |x|` for every `|x| ≥ minValue`; values with
 * `|x| < minValue` are counted as 0 (absolute error below `minValue`).
 *
 * Why it holds: bucket `i` holds the values in `(γ^(i−1), γ^i]` with `γ = (1+α)/(1−α)`,
 * and reports `2γ^i / (γ+1)`, whose distance to any point of the bucket is at most `α`
 * times that point. Memory: one counter per non-empty bucket; a range of values from
 * `minValue` to `max` needs at most `log_γ(max / minValue)` buckets (about 2 100 for
 * 1e-9…1e9 at α = 1%). No buckets are ever collapsed, so the bound has no exceptions.
 */
export class DDSketch {
  readonly alpha: number;
  readonly minValue: number;
  private readonly gamma: number;
  private readonly logGamma: number;
  private readonly positive = new Map<number, number>();
  private readonly negative = new Map<number, number>();
  private zeros = 0;
  private n = 0;

  constructor(alpha = 0.01, minValue = 1e-9) {
    if (!(alpha > 0 && alpha < 1))
      throw new InvalidArgumentError(`DDSketch: alpha ${alpha} is not in (0, 1)`);
    this.alpha = alpha;
    this.minValue = minValue;
    this.gamma = (1 + alpha) / (1 - alpha);
    this.logGamma = Math.log(this.gamma);
  }

  /** How many values were added. */
  get count(): number {
    return this.n;
  }

  add(value: number): void {
    this.n++;
    const magnitude = Math.abs(value);
    if (magnitude < this.minValue) {
      this.zeros++;
      return;
    }
    const store = value > 0 ? this.positive : this.negative;
    const i = this.index(magnitude);
    store.set(i, (store.get(i) ?? 0) + 1);
  }

  /** Adds every count of `other` (same alpha) into this sketch. */
  merge(other: DDSketch): void {
    if (other.alpha !== this.alpha) {
      throw new InvalidArgumentError('DDSketch: cannot merge different alphas');
    }
    for (const [i, c] of other.positive) this.positive.set(i, (this.positive.get(i) ?? 0) + c);
    for (const [i, c] of other.negative) this.negative.set(i, (this.negative.get(i) ?? 0) + c);
    this.zeros += other.zeros;
    this.n += other.n;
  }

  /** The q-quantile (0 ≤ q ≤ 1), within the stated bound; NaN when empty. */
  quantile(q: number): number {
    if (this.n === 0) return Number.NaN;
    const rank = Math.floor(Math.min(1, Math.max(0, q)) * (this.n - 1));
    let seen = 0;
    // Ascending order: most negative first (largest index of the negative store).
    const negatives = [...this.negative.keys()].sort((a, b) => b - a);
    for (const i of negatives) {
      seen += this.negative.get(i) as number;
      if (seen > rank) return -this.value(i);
    }
    seen += this.zeros;
    if (seen > rank) return 0;
    const positives = [...this.positive.keys()].sort((a, b) => a - b);
    for (const i of positives) {
      seen += this.positive.get(i) as number;
      if (seen > rank) return this.value(i);
    }
    // Unreachable: the counts sum to n > rank.
    return Number.NaN;
  }

  private index(magnitude: number): number {
    return Math.ceil(Math.log(magnitude) / this.logGamma);
  }

  private value(index: number): number {
    return (2 * this.gamma ** index) / (this.gamma + 1);
  }
}
