//! Pilot: the owner freezes a short window; the sample set is picked from its bank lines; per
//! sample, expected (the bank line) against posted (the matched QuickBooks postings) with the
//! trigger-to-post timing and its classification; the go-live gates; and the owner's promotion
//! to production once every gate passes. The playbook's pilot tables are at the end.

use crate::api::{
    PilotFallback, PilotPromote, PilotSampleAdd, PilotSampleRemove, PilotScreen, PilotWindow,
    pilot_view,
};
use crate::components::messages::{ActionDone, ActionError, LoadError};
use control::playbook::seed::{DECISION_SIGNALS, Guidance, PILOT_CONTROLS, PILOT_RULES};
use control::playbook::{Check, Posted, Sample};
use control::telemetry::{Cadence, human_duration};
use leptos::either::Either;
use leptos::prelude::*;

fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[derive(Clone, Copy)]
struct Actions {
    window: ServerAction<PilotWindow>,
    add: ServerAction<PilotSampleAdd>,
    remove: ServerAction<PilotSampleRemove>,
    fallback: ServerAction<PilotFallback>,
    promote: ServerAction<PilotPromote>,
}

#[component]
pub fn PilotPage() -> impl IntoView {
    let actions = Actions {
        window: ServerAction::new(),
        add: ServerAction::new(),
        remove: ServerAction::new(),
        fallback: ServerAction::new(),
        promote: ServerAction::new(),
    };
    let data = Resource::new(
        move || {
            (
                actions.window.version().get(),
                actions.add.version().get(),
                actions.remove.version().get(),
                actions.fallback.version().get(),
                actions.promote.version().get(),
            )
        },
        |_| pilot_view(),
    );
    view! {
        <h1>"Pilot"</h1>
        <p class="purpose">
            "Mapping on paper is not proof. Freeze a short window, trace a sample set from the bank to the books, "
            "time each posting, and promote to production only when the go-live gates pass."
        </p>
        <ActionError value=actions.window.value()/>
        <ActionDone value=actions.window.value() text="Pilot window frozen."/>
        <ActionError value=actions.add.value()/>
        <ActionError value=actions.remove.value()/>
        <ActionError value=actions.fallback.value()/>
        <ActionDone value=actions.fallback.value() text="Fallback test recorded."/>
        <ActionError value=actions.promote.value()/>
        <ActionDone value=actions.promote.value() text="Promoted to production."/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || data.get().map(|d| match d {
                Ok(v) => Either::Left(view! { <PilotBody view=v actions/> }),
                Err(e) => Either::Right(view! { <LoadError error=e/> }),
            })}
        </Transition>
        <Playbook/>
    }
}

#[component]
fn PilotBody(view: PilotScreen, actions: Actions) -> impl IntoView {
    let p = view.pilot;
    let open = p.promoted_at.is_none();
    let (can_edit, can_sample) = (view.can_edit && open, view.can_sample && open);
    let promoted = p.promoted_at.map(|at| {
        view! {
            <p class="done promoted" role="status" data-testid="promoted">
                {format!(
                    "Promoted to production on {}{}. The pilot is closed.",
                    stamp(at),
                    p.promoted_by_name.as_deref().map(|n| format!(" by {n}")).unwrap_or_default()
                )}
            </p>
        }
    });
    let window_text = match &p.window {
        Some(w) => format!(
            "{} – {} (frozen {}{})",
            w.from,
            w.to,
            stamp(w.frozen_at),
            w.frozen_by_name
                .as_deref()
                .map(|n| format!(" by {n}"))
                .unwrap_or_default()
        ),
        None => "Not frozen yet.".to_string(),
    };
    let from = p
        .window
        .as_ref()
        .map_or(view.today - chrono::Days::new(14), |w| w.from)
        .to_string();
    let to = p
        .window
        .as_ref()
        .map_or(view.today - chrono::Days::new(1), |w| w.to)
        .to_string();
    let window_form = can_edit.then(|| {
        view! {
            <ActionForm action=actions.window attr:class="inline wrap">
                <label for="pilot-from">"From"</label>
                <input id="pilot-from" name="from" type="date" value=from required/>
                <label for="pilot-to">"To"</label>
                <input id="pilot-to" name="to" type="date" value=to required/>
                <button type="submit" data-testid="freeze">"Freeze window"</button>
            </ActionForm>
            <p class="purpose">"Changing the window drops the samples outside it."</p>
        }
    });
    let all_pass = p.gates.iter().all(|g| g.passed);
    let gates = p.gates.clone();
    let fallback_note = p.fallback_note.clone();
    let fallback_tested = p.fallback_tested;
    let fallback_form = can_edit.then(|| {
        view! {
            <details>
                <summary>"Record the fallback test"</summary>
                <ActionForm action=actions.fallback attr:class="stack">
                    <label class="check-label" for="fallback-tested">
                        <input type="checkbox" id="fallback-tested" name="tested" value="true" checked={fallback_tested}/>
                        " The fallback was tested: manual statement upload in controlled smaller batches"
                    </label>
                    <label for="fallback-note">"How it was tested"</label>
                    <textarea id="fallback-note" name="note" rows="2">{fallback_note}</textarea>
                    <button type="submit">"Save"</button>
                </ActionForm>
            </details>
        }
    });
    let promote_form = can_edit.then(|| {
        view! {
            <ActionForm action=actions.promote>
                <button type="submit" data-testid="promote" disabled=!all_pass>"Promote to production"</button>
            </ActionForm>
            {(!all_pass).then(|| view! { <p class="purpose">"Promotion opens when every gate passes."</p> })}
        }
    });
    let samples = p.samples.clone();
    let timing = p.timing.clone();
    let overall = p.overall;
    let candidates = p.candidates.clone();
    let shown = candidates.len() as i64;
    let in_window = p.lines_in_window;
    let has_window = p.window.is_some();
    view! {
        {promoted}
        <section class="card" aria-labelledby="window-h">
            <h2 id="window-h">"Pilot window"</h2>
            <p data-testid="pilot-window">{window_text}</p>
            {window_form}
        </section>
        <section class="card" aria-labelledby="gates-h">
            <h2 id="gates-h">"Go-live gates"</h2>
            <GateList gates/>
            {fallback_form}
            <div class="actions">{promote_form}</div>
        </section>
        <section class="card" aria-labelledby="samples-h">
            <h2 id="samples-h">"Sample set: expected against posted"</h2>
            <Timing timing overall rule=view.rule.clone()/>
            {if samples.is_empty() {
                Either::Left(view! { <p>"No samples yet: pick lines of the window below."</p> })
            } else {
                Either::Right(view! { <SampleTable samples can_sample remove=actions.remove/> })
            }}
        </section>
        {has_window.then(|| view! {
            <section class="card" aria-labelledby="lines-h">
                <h2 id="lines-h">"Lines in the window"</h2>
                <p class="purpose">
                    {if shown < in_window {
                        format!("The first {shown} of {in_window} lines not in the sample set.")
                    } else {
                        format!("{shown} lines not in the sample set.")
                    }}
                    " Pick records you can audit quickly; if you test both Wise connection paths, pick lines of each."
                </p>
                <table class="grid stacked" data-testid="candidates">
                    <thead><tr><th>"Booked"</th><th>"Line"</th><th>"Counterparty"</th><th class="num">"Amount"</th><th></th></tr></thead>
                    <tbody>
                        {candidates.into_iter().map(|c| view! {
                            <tr>
                                <td data-label="Booked">{stamp(c.booked_at)}</td>
                                <td data-label="Line">{format!("{} {}", c.currency, c.reference)}<br/><small>{c.description.clone()}</small></td>
                                <td data-label="Counterparty">{c.counterparty.clone()}</td>
                                <td class="num" data-label="Amount">{format!("{} {}", c.amount, c.currency)}</td>
                                <td>{can_sample.then(|| view! {
                                    <ActionForm action=actions.add>
                                        <input type="hidden" name="bank_line_id" value=c.bank_line_id.to_string()/>
                                        <button type="submit" class="secondary" aria-label=format!("Add {} {} to the sample set", c.currency, c.reference)>"Add"</button>
                                    </ActionForm>
                                })}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        })}
    }
}

#[component]
fn GateList(gates: Vec<Check>) -> impl IntoView {
    view! {
        <ul class="checks" data-testid="gates">
            {gates.into_iter().map(|g| view! {
                <li class=if g.passed { "check pass" } else { "check fail" } data-key=g.key.clone() data-passed=g.passed.to_string()>
                    <span class="mark" aria-hidden="true">{if g.passed { "✓" } else { "✗" }}</span>
                    <span>
                        <strong>{g.label.clone()}</strong>
                        <span class="sr-only">{if g.passed { " (passes)" } else { " (fails)" }}</span>
                        " — " {g.detail.clone()}
                    </span>
                </li>
            }).collect_view()}
        </ul>
    }
}

#[component]
fn Timing(
    timing: Vec<control::telemetry::LagStats>,
    overall: Option<Cadence>,
    rule: String,
) -> impl IntoView {
    view! {
        <p data-testid="pilot-verdict">
            {match overall {
                Some(c) => Either::Left(view! {
                    "This environment behaves as " <strong>{c.label()}</strong> " over the timed samples"
                    {timing.iter().map(|s| format!(
                        "; {}: median {}, p95 {} ({} samples)",
                        s.path.label(),
                        human_duration(s.median_secs),
                        human_duration(s.p95_secs),
                        s.pairs
                    )).collect::<String>()}
                    "."
                }),
                None => Either::Right(view! { "No sample is timed yet (a posting with a creation time is needed)." }),
            }}
        </p>
        <p class="purpose">"Timing is the posting's creation in QuickBooks minus the bank movement. Rule: " {rule} "."</p>
    }
}

fn posted_words(s: &Sample) -> String {
    match s.posted {
        Posted::NotPosted => "not posted".into(),
        Posted::Suggested => "suggested match — review before relying on it".into(),
        Posted::Matched if s.agrees => "posted as expected".into(),
        Posted::Matched => "posted with a different amount".into(),
    }
}

#[component]
fn SampleTable(
    samples: Vec<Sample>,
    can_sample: bool,
    remove: ServerAction<PilotSampleRemove>,
) -> impl IntoView {
    view! {
        <table class="grid samples stacked" data-testid="samples">
            <thead>
                <tr>
                    <th>"Bank line (expected)"</th>
                    <th>"Posted in QuickBooks"</th>
                    <th>"Outcome"</th>
                    <th>"Trigger to post"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {samples.into_iter().map(|s| {
                    let outcome = posted_words(&s);
                    let ok = s.posted == Posted::Matched && s.agrees;
                    let remove_label = format!("Remove {} {} from the sample set", s.currency, s.reference);
                    view! {
                        <tr data-reference=s.reference.clone() data-posted=s.posted.as_str()>
                            <td data-label="Expected">
                                <strong>{format!("{} {}", s.currency, s.reference)}</strong><br/>
                                {format!("{} {} on {}", s.expected, s.currency, stamp(s.booked_at))}<br/>
                                <small>{s.counterparty.clone()}</small>
                            </td>
                            <td data-label="Posted">
                                {if s.postings.is_empty() {
                                    Either::Left(view! { <span class="bad">"—"</span> })
                                } else {
                                    Either::Right(view! {
                                        <ul class="postings">
                                            {s.postings.iter().map(|p| view! {
                                                <li>
                                                    {format!("{} {} dated {}", p.external_id, p.amount, p.txn_date)}<br/>
                                                    <small>{format!("created {}", p.created_at.map(stamp).unwrap_or_else(|| "at an unknown time".into()))}</small>
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                        {s.posted_total.clone().filter(|_| s.postings.len() > 1).map(|t| view! { <small>{format!("total {t}")}</small> })}
                                        {s.match_kind.clone().filter(|k| k == "many_to_one").map(|_| view! { <small>" (one posting for several bank lines)"</small> })}
                                    })
                                }}
                            </td>
                            <td class=if ok { "ok" } else { "bad" } data-label="Outcome">{outcome}</td>
                            <td data-label="Trigger to post">
                                {match (s.lag_secs, s.verdict) {
                                    (Some(lag), Some(v)) => Either::Left(view! {
                                        {human_duration(lag)} <br/>
                                        <span class=if v == Cadence::NearRealTime { "ok" } else { "warn-text" }>{v.label()}</span>
                                    }),
                                    _ => Either::Right(view! { "—" }),
                                }}
                            </td>
                            <td>{can_sample.then(|| view! {
                                <ActionForm action=remove>
                                    <input type="hidden" name="id" value=s.id.to_string()/>
                                    <button type="submit" class="secondary" aria-label=remove_label>"Remove"</button>
                                </ActionForm>
                            })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The playbook's pilot tables, for reference.
#[component]
fn Playbook() -> impl IntoView {
    let table = |caption: &'static str, heads: [&'static str; 3], rows: &'static [Guidance]| {
        view! {
            <table class="grid guidance">
                <caption>{caption}</caption>
                <thead><tr><th>{heads[0]}</th><th>{heads[1]}</th><th>{heads[2]}</th></tr></thead>
                <tbody>
                    {rows.iter().map(|g| view! { <tr><td>{g.first}</td><td>{g.second}</td><td>{g.third}</td></tr> }).collect_view()}
                </tbody>
            </table>
        }
    };
    view! {
        <details class="card playbook">
            <summary>"From the playbook: pilot rules, controls and decision signals"</summary>
            {table("Pilot rules", ["Pilot rule", "What to log or verify", "Fallback or decision"], PILOT_RULES)}
            {table("Pilot controls", ["Pilot control", "What you run", "What you verify"], PILOT_CONTROLS)}
            {table("Decision signals", ["Decision signal", "Batch mode choice", "Near continuous choice"], DECISION_SIGNALS)}
        </details>
    }
}
