//! Which Wise movements the bookkeeper got wrong (or booked in a tricky but correct way), and
//! how: a plan over the movements, spread across the period and kept away from its edges.

use super::activity::{Activity, Flow, Movement, add_days};
use super::cast;

/// How the bookkeeper recorded one movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Treatment {
    Clean,
    /// Not booked at all.
    Missing,
    /// Booked about three weeks after the bank line.
    Late,
    /// Booked with two digits swapped (or one mistyped).
    Typo,
    /// A bill payment for the principal; the Wise fee nowhere.
    UnbookedFee,
    /// A bill payment for the principal and the fee as a Bank Charges expense.
    FeeSplit,
    /// Booked, then booked again when the bank feed was reconnected.
    Duplicated,
}

/// Evenly spread picks from `pool` (in time order).
fn spread(pool: &[usize], n: usize) -> Vec<usize> {
    if pool.len() <= n {
        return pool.to_vec();
    }
    (0..n)
        .map(|i| pool[(2 * i + 1) * pool.len() / (2 * n)])
        .collect()
}

pub(super) fn plan(activity: &Activity) -> Vec<Treatment> {
    let (start, end) = activity.period;
    let moves = &activity.movements;
    // Away from the period's edges: every slip is inside the statements and its late or
    // duplicate postings are too.
    let (lo, hi) = (add_days(start, 20), add_days(end, -30));
    let mut plan = vec![Treatment::Clean; moves.len()];
    let pool = |plan: &[Treatment], want: &dyn Fn(&Movement) -> bool| -> Vec<usize> {
        (0..moves.len())
            .filter(|&i| plan[i] == Treatment::Clean)
            .filter(|&i| (lo..=hi).contains(&moves[i].date()) && want(&moves[i]))
            .collect()
    };
    let supplier = |m: &Movement| {
        matches!(m.flow, Flow::SupplierPayment { supplier, .. }
            if cast::SUPPLIERS[supplier].day.is_none())
    };
    let client = |m: &Movement| matches!(m.flow, Flow::ClientPayment { batch: false, .. });
    let everyday_card =
        |m: &Movement| matches!(m.flow, Flow::Card { shop } if cast::SHOPS[shop].day.is_none());
    let assign = |plan: &mut Vec<Treatment>, picks: Vec<usize>, t: Treatment| {
        for i in picks {
            plan[i] = t;
        }
    };

    // The bank feed was reconnected mid-period and one week of EUR postings came in twice.
    let week = add_days(lo, (hi - lo).num_days() / 2);
    let in_week = |m: &Movement, days: i64| {
        m.currency == "EUR"
            && (week..add_days(week, days)).contains(&m.date())
            && (client(m) || supplier(m) || everyday_card(m))
    };
    for days in [7, 10, 14] {
        let found = pool(&plan, &|m| in_week(m, days));
        if found.len() >= 5 {
            let picks = found.into_iter().take(5).collect();
            assign(&mut plan, picks, Treatment::Duplicated);
            break;
        }
    }

    let picks = spread(&pool(&plan, &supplier), 4);
    assign(&mut plan, picks, Treatment::UnbookedFee);
    let picks = spread(&pool(&plan, &supplier), 5);
    assign(&mut plan, picks, Treatment::FeeSplit);
    let picks = spread(&pool(&plan, &supplier), 2);
    assign(&mut plan, picks, Treatment::Late);
    let picks = spread(&pool(&plan, &client), 1);
    assign(&mut plan, picks, Treatment::Late);

    // Slips that leave a line or a posting over must not share a payee: the engine rightly
    // pairs a leftover line with a leftover posting of the same payee and a similar amount.
    let payees = |plan: &[Treatment], of: &[Treatment]| -> Vec<&'static str> {
        (0..moves.len())
            .filter(|&i| of.contains(&plan[i]))
            .filter_map(|i| moves[i].party.map(|p| p.key))
            .collect()
    };
    let fresh_payee =
        |m: &Movement, taken: &[&str]| m.party.is_some_and(|p| !taken.contains(&p.key));

    let taken = payees(&plan, &[Treatment::Duplicated]);
    let referenced_client =
        |m: &Movement| client(m) && m.payment_reference.is_some() && fresh_payee(m, &taken);
    let picks = spread(&pool(&plan, &referenced_client), 1);
    assign(&mut plan, picks, Treatment::Typo);
    let picks = spread(&pool(&plan, &|m| supplier(m) && fresh_payee(m, &taken)), 1);
    assign(&mut plan, picks, Treatment::Typo);
    // A typo without a reference is only recognisable by the payee: one the statement spells
    // as the books do.
    let big_eur_card = |m: &Movement| {
        everyday_card(m)
            && m.currency == "EUR"
            && m.cents <= -1_000
            && m.party
                .is_some_and(|p| p.name.eq_ignore_ascii_case(p.bank_name))
            && fresh_payee(m, &taken)
    };
    let picks = spread(&pool(&plan, &big_eur_card), 1);
    assign(&mut plan, picks, Treatment::Typo);

    let taken = payees(&plan, &[Treatment::Duplicated, Treatment::Typo]);
    let eur_card = |m: &Movement| everyday_card(m) && m.currency == "EUR" && fresh_payee(m, &taken);
    let picks = spread(&pool(&plan, &eur_card), 1);
    assign(&mut plan, picks, Treatment::Missing);
    let usd_client = |m: &Movement| client(m) && m.currency == "USD" && fresh_payee(m, &taken);
    let picks = spread(&pool(&plan, &usd_client), 1);
    assign(&mut plan, picks, Treatment::Missing);
    let gbp_supplier = |m: &Movement| {
        m.currency == "GBP"
            && matches!(m.flow, Flow::SupplierPayment { .. })
            && fresh_payee(m, &taken)
    };
    let picks = spread(&pool(&plan, &gbp_supplier), 1);
    assign(&mut plan, picks, Treatment::Missing);
    plan
}

/// Digits of `c` with two neighbours swapped (or one changed), never the leading digit, and not
/// an amount in `taken`: a keying slip, not a different amount.
pub(super) fn typo(c: i64, taken: &dyn Fn(i64) -> bool) -> i64 {
    let digits: Vec<u8> = c.unsigned_abs().to_string().into_bytes();
    let mut variants = Vec::new();
    for i in 1..digits.len().saturating_sub(1) {
        if digits[i] != digits[i + 1] {
            let mut d = digits.clone();
            d.swap(i, i + 1);
            variants.push(d);
        }
    }
    for i in 1..digits.len() {
        let mut d = digits.clone();
        d[i] = b'0' + (d[i] - b'0' + 3) % 10;
        variants.push(d);
    }
    variants
        .into_iter()
        .filter_map(|d| String::from_utf8(d).ok()?.parse::<i64>().ok())
        .map(|v| if c < 0 { -v } else { v })
        .find(|&v| v != c && !taken(v))
        .unwrap_or(c + c.signum() * 900)
}
