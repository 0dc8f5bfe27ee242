/**
 * The bindings' one root finder: Brent's method (R. P. Brent, Algorithms for Minimization without
 * Derivatives, 1973, ch. 4, the `zeroin` algorithm), used for the liquidation prices of
 * engine.liquidationPrices (liquidation-price.ts) and of pnlCurve (whatif.ts).
 *
 * Given a bracket [a, b] with f(a) and f(b) of opposite signs (or one of them 0), zeroin returns a
 * point b within tol + 4 eps |b| of a sign change of f: its last bracket [b, c], which always holds
 * a sign change, is at most that wide (f continuous: a root). Each step takes inverse quadratic
 * interpolation, or the secant, when it falls inside the bracket and is less than half the step
 * before last, bisection otherwise: as fast as the secant method near a simple root of a smooth f,
 * and never more than about k^2 evaluations where bisection needs k = log2((b - a) / tol) (Brent
 * 1973, ch. 4). The evaluations are capped at MAX_ITERATIONS, below that worst case for the wide
 * brackets of liquidation-price.ts (k up to 32); a search cut off there returns its best point,
 * without the bound. The liquidation prices' f (piecewise smooth in the spot) took 1 to 8
 * evaluations per bracket on the examples and 40 seeded random books (about 160 brackets).
 *
 * The algorithm is written once, as a coroutine (`zeroin`: it yields each trial point and is
 * resumed with f there), so that its callers choose how f is evaluated: `brent` calls f point by
 * point; `brentLockstep` runs several brackets side by side and evaluates each round's trial
 * points together (pnlCurve: both sides' trial spots in one kernel call). Each root is the same,
 * bit for bit, however it is driven.
 */

const EPS = Number.EPSILON;
/** Evaluations of f at most per bracket. */
const MAX_ITERATIONS = 200;

/** A bracket of a sign change: f(a) and f(b) of opposite signs, or one of them 0. */
export interface Bracket {
  a: number;
  b: number;
  fa: number;
  fb: number;
}

/**
 * Brent's zeroin on [a, b] as a coroutine: yields each point where it needs f and is resumed with
 * f there (next(f(x))); returns a point within tol + 4 eps |x| of a sign change of f. A bracket
 * already that narrow, or with f = 0 at an end, returns without yielding.
 */
function* zeroin(a: number, b: number, fa: number, fb: number, tol: number): Generator<number, number, number> {
  if (fa === 0) return a;
  if (fb === 0) return b;
  let c = a;
  let fc = fa;
  let d = b - a;
  let e = d;
  for (let iter = 0; iter < MAX_ITERATIONS; iter++) {
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) {
      c = a;
      fc = fa;
      d = b - a;
      e = d;
    }
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b;
      b = c;
      c = a;
      fa = fb;
      fb = fc;
      fc = fa;
    }
    const tol1 = 2 * EPS * Math.abs(b) + 0.5 * tol;
    const xm = 0.5 * (c - b);
    if (Math.abs(xm) <= tol1 || fb === 0) return b;
    if (Math.abs(e) >= tol1 && Math.abs(fa) > Math.abs(fb)) {
      // inverse quadratic interpolation, or the secant when only two points are distinct
      const s = fb / fa;
      let p: number;
      let q: number;
      if (a === c) {
        p = 2 * xm * s;
        q = 1 - s;
      } else {
        const qa = fa / fc;
        const r = fb / fc;
        p = s * (2 * xm * qa * (qa - r) - (b - a) * (r - 1));
        q = (qa - 1) * (r - 1) * (s - 1);
      }
      if (p > 0) q = -q;
      else p = -p;
      if (2 * p < Math.min(3 * xm * q - Math.abs(tol1 * q), Math.abs(e * q))) {
        e = d;
        d = p / q;
      } else {
        d = xm;
        e = d;
      }
    } else {
      d = xm;
      e = d;
    }
    a = b;
    fa = fb;
    b += Math.abs(d) > tol1 ? d : xm > 0 ? tol1 : -tol1;
    fb = yield b;
  }
  return b;
}

/** Brent's zeroin (above) on [a, b], calling f at each trial point. */
export function brent(f: (x: number) => number, a: number, b: number, fa: number, fb: number, tol: number): number {
  const search = zeroin(a, b, fa, fb, tol);
  let step = search.next();
  while (!step.done) step = search.next(f(step.value));
  return step.value;
}

/**
 * Brent's zeroin (above) on several brackets side by side, each to tolerance `tol`: every round
 * passes `evaluate` the trial point of each bracket still searching (null for one that is done or
 * absent) and takes f at those points back, in the same order. The roots (null for an absent
 * bracket) are those brent() gives on each bracket alone; `evaluations` counts the trial points
 * evaluated, all brackets together (the rounds are the most any one bracket needed).
 */
export function brentLockstep(
  brackets: readonly (Bracket | null)[],
  tol: number,
  evaluate: (trials: readonly (number | null)[]) => readonly number[],
): { roots: (number | null)[]; evaluations: number } {
  const roots: (number | null)[] = brackets.map(() => null);
  const searches = brackets.map((k) => (k === null ? null : zeroin(k.a, k.b, k.fa, k.fb, tol)));
  const trials: (number | null)[] = brackets.map(() => null);
  const advance = (i: number, step: IteratorResult<number, number>): void => {
    if (step.done) roots[i] = step.value;
    trials[i] = step.done ? null : step.value;
  };
  searches.forEach((search, i) => {
    if (search !== null) advance(i, search.next());
  });
  let evaluations = 0;
  while (trials.some((x) => x !== null)) {
    const values = evaluate(trials);
    trials.forEach((x, i) => {
      if (x === null) return;
      evaluations++;
      advance(i, (searches[i] as Generator<number, number, number>).next(values[i]));
    });
  }
  return { roots, evaluations };
}
