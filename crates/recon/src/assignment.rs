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

/// For each row, the chosen column (if any): [`Assigner::assign`] with buffers of its own.
#[cfg(test)]
#[must_use]
pub fn assign(rows: usize, cols: usize, candidates: &[Candidate]) -> Vec<Option<usize>> {
    Assigner::default().assign(rows, cols, candidates).to_vec()
}

/// The buffers of the Hungarian method, kept from one group to the next (a run solves
/// thousands of small groups).
#[derive(Default)]
pub struct Assigner {
    cost: Vec<i64>,
    u: Vec<i64>,
    v: Vec<i64>,
    p: Vec<usize>,
    way: Vec<usize>,
    minv: Vec<i64>,
    used: Vec<bool>,
    result: Vec<Option<usize>>,
}

impl Assigner {
    /// For each row, the chosen column (if any). Deterministic: ties go to the lower index.
    ///
    /// Dense Hungarian method (O(rows² · (cols + rows))) on a cost matrix with one
    /// "unmatched" column per row; callers keep groups small (see `MAX_EXACT_GROUP` in the
    /// engine).
    pub fn assign(
        &mut self,
        rows: usize,
        cols: usize,
        candidates: &[Candidate],
    ) -> &[Option<usize>] {
        let Self {
            cost,
            u,
            v,
            p,
            way,
            minv,
            used,
            result,
        } = self;
        result.clear();
        if rows == 0 {
            return result;
        }
        let width = cols + rows;
        cost.clear();
        cost.resize(rows * width, FORBIDDEN);
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
        let reset = |list: &mut Vec<_>, len, value| {
            list.clear();
            list.resize(len, value);
        };
        reset(u, n + 1, 0);
        reset(v, m + 1, 0);
        reset(minv, m + 1, 0);
        p.clear();
        p.resize(m + 1, 0);
        way.clear();
        way.resize(m + 1, 0);
        used.clear();
        used.resize(m + 1, false);
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
        result.resize(rows, None);
        for j in 1..=cols {
            let i = p[j];
            if i != 0 && cost[(i - 1) * width + (j - 1)] < 0 {
                result[i - 1] = Some(j - 1);
            }
        }
        result
    }
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
    fn kept_buffers_give_what_fresh_ones_do() {
        let mut seed = 5u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % m
        };
        let mut kept = Assigner::default();
        for _ in 0..300 {
            let (rows, cols) = (next(7) as usize, 1 + next(7) as usize);
            let candidates: Vec<Candidate> = (0..next(20))
                .filter_map(|_| {
                    let score = 1 + next(100) as i64;
                    (rows > 0).then(|| {
                        c(
                            next(rows as u64) as usize,
                            next(cols as u64) as usize,
                            score,
                        )
                    })
                })
                .collect();
            let fresh = Assigner::default().assign(rows, cols, &candidates).to_vec();
            assert_eq!(kept.assign(rows, cols, &candidates), &fresh[..]);
        }
    }

    #[test]
    fn no_candidates_no_matches() {
        assert_eq!(assign(2, 3, &[]), vec![None, None]);
    }
}
