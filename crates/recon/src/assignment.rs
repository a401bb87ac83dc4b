//! Global one-to-one assignment inside an ambiguous group: maximize the total score, where
//! leaving a line unmatched is an explicit choice worth 0. This is what stops the classic
//! greedy failure (the first line takes the candidate a later, better-fitting line needed).

/// A candidate pair inside one group: `row` and `col` are group-local indices.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub row: usize,
    pub col: usize,
    /// Larger is better; must be positive.
    pub score: i64,
}

/// Above any achievable total, so a non-candidate pair is never chosen over "unmatched".
const FORBIDDEN: i64 = 1 << 40;

/// For each row, the chosen column (if any). Deterministic: ties go to the lower index.
///
/// Dense Hungarian method (O(rows² · (cols + rows))) on a cost matrix with one "unmatched"
/// column per row; callers keep groups small (see `MAX_GROUP` in the engine).
#[must_use]
pub fn assign(rows: usize, cols: usize, candidates: &[Candidate]) -> Vec<Option<usize>> {
    if rows == 0 {
        return Vec::new();
    }
    let width = cols + rows;
    let mut cost = vec![FORBIDDEN; rows * width];
    for r in 0..rows {
        for d in 0..rows {
            cost[r * width + cols + d] = 0;
        }
    }
    for c in candidates {
        let cell = &mut cost[c.row * width + c.col];
        *cell = (*cell).min(-c.score.max(1));
    }
    // e-maxx formulation, 1-based, rows ≤ columns.
    let (n, m) = (rows, width);
    let mut u = vec![0i64; n + 1];
    let mut v = vec![0i64; m + 1];
    let mut p = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    let mut minv = vec![0i64; m + 1];
    let mut used = vec![false; m + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0usize;
        minv.fill(i64::MAX);
        used.fill(false);
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = i64::MAX;
            let mut j1 = 0usize;
            for j in 1..=m {
                if !used[j] {
                    let cur = cost[(i0 - 1) * width + (j - 1)] - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut result = vec![None; rows];
    for j in 1..=cols {
        let i = p[j];
        if i != 0 && cost[(i - 1) * width + (j - 1)] < 0 {
            result[i - 1] = Some(j - 1);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(row: usize, col: usize, score: i64) -> Candidate {
        Candidate { row, col, score }
    }

    #[test]
    fn global_beats_greedy() {
        // Row 0 greedily prefers col 0 (60 > 50), but then row 1 (which only fits col 0) loses.
        let got = assign(2, 2, &[c(0, 0, 60), c(0, 1, 50), c(1, 0, 55)]);
        assert_eq!(got, vec![Some(1), Some(0)]);
    }

    #[test]
    fn unmatched_is_allowed() {
        let got = assign(3, 1, &[c(0, 0, 10), c(1, 0, 30), c(2, 0, 20)]);
        assert_eq!(got, vec![None, Some(0), None]);
    }

    #[test]
    fn one_row_two_columns() {
        assert_eq!(assign(1, 2, &[c(0, 0, 50), c(0, 1, 45)]), vec![Some(0)]);
    }

    #[test]
    fn no_candidates_no_matches() {
        assert_eq!(assign(2, 3, &[]), vec![None, None]);
    }
}
