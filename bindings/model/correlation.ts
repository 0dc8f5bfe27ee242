/**
 * Is a correlation matrix positive semi-definite? A pivoted LDL^T factorization decides it.
 *
 * Method: LDL^T with diagonal ("complete", symmetric) pivoting, i.e. Cholesky with complete
 * pivoting without the square roots (Higham, "Accuracy and Stability of Numerical Algorithms",
 * 2nd ed., 2002, sec. 10.3, Algorithm 10.2; LAPACK dpstrf). At each step the remaining market with
 * the largest diagonal entry d of the Schur complement S is eliminated: S <- S - s s^T / d (s its
 * column). With that pivot, for a PSD matrix every multiplier |s_i / d| <= 1 and every entry of S
 * stays in [-1, 1], so rounding moves each computed pivot by at most about 2 k eps after k steps.
 *
 * Tolerance: delta = 4 n eps, eps = 2^-52 (Number.EPSILON), n the order (for n = 500, 4.4e-13):
 * LAPACK dpstrf's default rank tolerance n eps max_i a_ii (= n eps for a unit diagonal) with a
 * factor 4 for the rounding above and for the input's decimal rounding (a matrix typed as decimals
 * differs from the one meant by up to eps/2 per entry, n eps / 2 in the 2-norm). The matrix is
 * rejected when
 *   - a pivot d < -delta: d is the value x^T A x of the quadratic form at a vector x with x_p = 1
 *     (x = L^-T e_k), so A has a negative eigenvalue (some portfolio would have a negative variance);
 *   - or, once the largest remaining pivot is <= delta (the rank is reached), a remaining entry
 *     has |S_ij| > delta: the 2 x 2 minor S_ii S_jj - S_ij^2 < delta^2 - delta^2 = 0 is negative.
 * Otherwise it is accepted: it equals L D L^T plus a remainder below delta entrywise, with D >= 0
 * (PSD up to n delta in the 2-norm), so a quadratic form v^T A v is >= -n delta |v|^2 and singular
 * matrices (perfectly correlated markets, the default ones-within-a-pair blocks) are accepted.
 * Cost: n^3 / 6 multiply-adds (500 markets: about 20 ms in V8).
 */

/** delta = 4 n eps for a matrix of order n (see the file header). */
export function psdTolerance(order: number): number {
  return 4 * order * Number.EPSILON;
}

/** Why a matrix is not PSD: indices are rows of the matrix as given. */
export type PsdFailure =
  | { kind: "pivot"; index: number; pivot: number; eliminated: number[]; tolerance: number }
  | { kind: "residual"; index: number; other: number; value: number; eliminated: number[]; tolerance: number };

/**
 * null when `matrix` (square, symmetric: only its lower triangle is read) is positive
 * semi-definite within psdTolerance(n), else why not.
 */
export function psdFailure(matrix: readonly (readonly number[])[]): PsdFailure | null {
  const n = matrix.length;
  const tolerance = psdTolerance(n);
  // the Schur complement, lower triangle by original index: a[i * n + j] for j <= i
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = matrix[i][j];
  const at = (i: number, j: number): number => (i >= j ? i * n + j : j * n + i);
  let remaining = Array.from({ length: n }, (_, i) => i);
  const eliminated: number[] = [];
  const column = new Float64Array(n);
  while (remaining.length > 0) {
    let p = remaining[0];
    for (const i of remaining) if (a[i * n + i] > a[p * n + p]) p = i;
    const d = a[p * n + p];
    if (d < -tolerance) return { kind: "pivot", index: p, pivot: d, eliminated, tolerance };
    if (d <= tolerance) {
      // rank reached: what remains must be (numerically) zero
      for (const i of remaining) {
        if (a[i * n + i] < -tolerance) return { kind: "pivot", index: i, pivot: a[i * n + i], eliminated, tolerance };
      }
      for (const i of remaining) {
        for (const j of remaining) {
          if (j < i && Math.abs(a[i * n + j]) > tolerance) {
            return { kind: "residual", index: j, other: i, value: a[i * n + j], eliminated, tolerance };
          }
        }
      }
      return null;
    }
    remaining = remaining.filter((i) => i !== p);
    eliminated.push(p);
    for (const i of remaining) column[i] = a[at(i, p)];
    for (const i of remaining) {
      const li = column[i] / d;
      if (li === 0) continue;
      for (const j of remaining) if (j <= i) a[i * n + j] -= li * column[j];
    }
  }
  return null;
}
