// Quadratic form v^T rho v for a symmetric matrix rho (n x n, row-major f64) and vector v.
//
// Uses the symmetry: v^T rho v = sum_i v_i (rho_ii v_i + 2 sum_{j>i} rho_ij v_j), reading the
// upper triangle only (n(n+1)/2 loads instead of n^2). Plain summation in double: the absolute
// error is below n^2 * eps * max|v|^2 * max|rho| (Higham, "Accuracy and Stability of Numerical
// Algorithms", 2nd ed., sec. 3.1). A PSD matrix can still give a tiny negative result through
// rounding; callers take sqrt(max(0, q)).

export function quadraticForm(vec: usize, mat: usize, n: i32): f64 {
  let total = 0.0;
  for (let i = 0; i < n; i++) {
    const vi = load<f64>(vec + (<usize>i << 3));
    if (vi == 0.0) continue;
    const row = mat + (<usize>(i * n) << 3);
    let off = 0.0;
    for (let j = i + 1; j < n; j++) {
      off += load<f64>(row + (<usize>j << 3)) * load<f64>(vec + (<usize>j << 3));
    }
    total += vi * (load<f64>(row + (<usize>i << 3)) * vi + 2.0 * off);
  }
  return total;
}
