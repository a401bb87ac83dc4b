//! Small charts drawn as inline SVG by our own components (no chart library): bars for counts
//! by bucket, a line for a percentage over runs. Each has a text alternative.

use leptos::prelude::*;

const W: f64 = 320.0;
const H: f64 = 150.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 16.0;

/// Vertical bars, one per (label, count).
#[component]
pub fn BarChart(
    title: &'static str,
    bars: Vec<(String, i64)>,
    testid: &'static str,
) -> impl IntoView {
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let n = bars.len().max(1) as f64;
    let slot = W / n;
    let summary = bars
        .iter()
        .map(|(l, v)| format!("{l}: {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let shapes = bars
        .into_iter()
        .enumerate()
        .map(|(i, (label, v))| {
            let h = (H - BOTTOM - TOP) * v as f64 / max;
            let x = slot * i as f64 + slot * 0.15;
            let y = H - BOTTOM - h;
            view! {
                <g>
                    <rect x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{:.1}", slot * 0.7) height=format!("{h:.1}") class="bar"/>
                    <text x=format!("{:.1}", x + slot * 0.35) y=format!("{:.1}", y - 3.0) text-anchor="middle" class="value">{v}</text>
                    <text x=format!("{:.1}", x + slot * 0.35) y=format!("{:.1}", H - 6.0) text-anchor="middle" class="label">{label}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="chart" data-testid=testid>
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=format!("{title}: {summary}")>
                <line x1="0" y1=format!("{}", H - BOTTOM) x2=format!("{W}") y2=format!("{}", H - BOTTOM) class="axis"/>
                {shapes}
            </svg>
        </figure>
    }
}

/// A percentage (0–100) over a sequence, e.g. the match rate of recent runs.
#[component]
pub fn PercentLine(
    title: &'static str,
    points: Vec<(String, f64)>,
    testid: &'static str,
) -> impl IntoView {
    let n = points.len();
    let x = move |i: usize| {
        if n <= 1 {
            W / 2.0
        } else {
            12.0 + (W - 24.0) * i as f64 / (n - 1) as f64
        }
    };
    let y = |p: f64| TOP + (H - BOTTOM - TOP) * (100.0 - p.clamp(0.0, 100.0)) / 100.0;
    let path = points
        .iter()
        .enumerate()
        .map(|(i, (_, p))| format!("{:.1},{:.1}", x(i), y(*p)))
        .collect::<Vec<_>>()
        .join(" ");
    let summary = points
        .iter()
        .map(|(l, p)| format!("{l}: {p:.1} %"))
        .collect::<Vec<_>>()
        .join(", ");
    let dots = points
        .into_iter()
        .enumerate()
        .map(|(i, (label, p))| {
            view! {
                <circle cx=format!("{:.1}", x(i)) cy=format!("{:.1}", y(p)) r="3" class="dot">
                    <title>{format!("{label}: {p:.1} %")}</title>
                </circle>
            }
        })
        .collect_view();
    view! {
        <figure class="chart" data-testid=testid>
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=format!("{title}: {summary}")>
                <line x1="0" y1=format!("{:.1}", y(100.0)) x2=format!("{W}") y2=format!("{:.1}", y(100.0)) class="grid"/>
                <line x1="0" y1=format!("{:.1}", y(50.0)) x2=format!("{W}") y2=format!("{:.1}", y(50.0)) class="grid"/>
                <line x1="0" y1=format!("{}", H - BOTTOM) x2=format!("{W}") y2=format!("{}", H - BOTTOM) class="axis"/>
                <text x="2" y=format!("{:.1}", y(100.0) - 3.0) class="label">"100 %"</text>
                <text x="2" y=format!("{:.1}", y(50.0) - 3.0) class="label">"50 %"</text>
                <polyline points=path class="line"/>
                {dots}
            </svg>
        </figure>
    }
}
