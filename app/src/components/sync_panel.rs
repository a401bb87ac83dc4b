//! "Sync now" and the live progress of the current run (a progress bar polled while a run is
//! queued or running), with the last run's outcome or its failure reason in plain words.

use crate::api::{SyncNow, run_status};
use crate::components::messages::ActionError;
use crate::model::RunView;
use leptos::prelude::*;

#[component]
pub fn SyncPanel(#[prop(into)] can_sync: Signal<bool>) -> impl IntoView {
    let sync = ServerAction::<SyncNow>::new();
    let tick = RwSignal::new(0u32);
    let active = RwSignal::new(false);
    let run = Resource::new(move || (tick.get(), sync.version().get()), |_| run_status());
    Effect::new(move |_| {
        if let Some(Ok(Some(r))) = run.get() {
            active.set(r.is_active());
        }
        if sync.version().get() > 0 {
            active.set(true);
        }
    });
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                if active.get_untracked() {
                    tick.update(|t| *t += 1);
                }
            },
            std::time::Duration::from_millis(700),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
    view! {
        <section class="card" aria-label="Sync" data-testid="sync-panel">
            <h2>"Sync"</h2>
            <Show when=move || can_sync.get()>
                <ActionForm action=sync>
                    <button type="submit" data-testid="sync-now">"Sync now"</button>
                </ActionForm>
            </Show>
            <ActionError value=sync.value()/>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || run.get().map(|r| match r {
                    Ok(Some(r)) => view! { <RunProgress run=r/> }.into_any(),
                    Ok(None) => view! { <p>"No sync has run yet."</p> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// One run: a progress bar while active, the outcome once finished.
#[component]
pub fn RunProgress(run: RunView) -> impl IntoView {
    let label = format!("{} #{} ({})", run.purpose, run.id, run.trigger);
    let body = if run.is_active() {
        view! {
            <p><span>{format!("{label} — ")}</span><span data-testid="run-step">{run.step.clone()}</span></p>
            <progress max="100" value=run.percent.to_string() aria-label="Sync progress" data-testid="run-progress">
                {format!("{} %", run.percent)}
            </progress>
            <span class="percent">{format!(" {} %", run.percent)}</span>
        }
        .into_any()
    } else if run.status == "failed" {
        view! {
            <p>
                <span>{format!("{label} ")}</span><strong class="bad">"failed"</strong>
                <span>{format!(" {}", run.finished_at.clone().unwrap_or_default())}</span>
            </p>
            <p class="error" role="alert" data-testid="run-error">{run.error.clone().unwrap_or_default()}</p>
        }
        .into_any()
    } else {
        view! {
            <p>
                <span>{format!("{label} ")}</span><strong class="ok" data-testid="run-status">"succeeded"</strong>
                <span>{format!(" {}", run.finished_at.clone().unwrap_or_default())}</span>
            </p>
            <RunFacts run=run.clone()/>
        }
        .into_any()
    };
    view! { <div class="run" data-status=run.status.clone()>{body}</div> }
}

#[component]
pub fn RunFacts(run: RunView) -> impl IntoView {
    view! {
        <dl class="facts-inline">
            {run.facts.into_iter().map(|(k, v)| view! { <div><dt>{k}</dt><dd>{v}</dd></div> }).collect_view()}
        </dl>
        {run.spike.then(|| view! {
            <p class="warn" role="alert">
                "Spike: this run opened more new exceptions than the threshold allows. "
                "Pause broad sync and switch to supervised batches until the cause is understood."
            </p>
        })}
    }
}
