//! Exceptions: the queue (filters in the URL, so a view is a link; the unassigned and overdue
//! counts always in sight; bulk assign), and one exception with the bank line(s) and the
//! posting(s) side by side, the work on it, its comments and history.

use crate::api::{
    ExceptionAssign, ExceptionComment, ExceptionPlan, ExceptionStatus as SetStatus,
    ExceptionsBulkAssign, exception_detail, exceptions_list,
};
use crate::components::messages::{ActionDone, ActionError, LoadError};
use crate::error::AppError;
use crate::model::{ExceptionPageView, Person, QueueView};
use control::aging::AgeBucket;
use control::exception_filter::{QueueQuery, QueueSort};
use control::exception_kind::ExceptionKind;
use control::exception_queue::{BankSide, BookSide, ExceptionRow, HistoryEntry, QueueCounts};
use control::exception_status::ExceptionStatus;
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::{use_params_map, use_query_map};

/// `-81.50 EUR`, or a dash when the engine states no difference.
fn amount(e: &ExceptionRow) -> String {
    e.difference
        .map(|d| format!("{d} {}", e.currency))
        .unwrap_or_else(|| "—".into())
}

fn date_or_dash(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
}

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Changes when an action succeeds (and only then): the data reloads after a save, while a
/// refused submission leaves its form as it was typed.
fn saves<S>(action: ServerAction<S>) -> Memo<usize>
where
    S: ServerFn + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    Memo::new(move |prev: Option<&usize>| {
        let version = action.version().get();
        let ok = action.value().with(|v| matches!(v, Some(Ok(_))));
        match prev {
            Some(p) if !ok => *p,
            _ => version,
        }
    })
}

#[component]
pub fn ExceptionsPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let p = params.read();
        QueueQuery::from_pairs(
            QueueQuery::KEYS
                .iter()
                .filter_map(|k| p.get_str(k).map(|v| (*k, v.to_owned()))),
        )
    });
    let bulk = ServerAction::<ExceptionsBulkAssign>::new();
    let bulk_saves = saves(bulk);
    let data = Resource::new(
        move || (query.get(), bulk_saves.get()),
        |(q, _)| exceptions_list(q),
    );
    view! {
        <h1>"Exceptions"</h1>
        <p class="purpose">
            "Every break between bank and books, with an owner, next action, due date and status. "
            "Every exception needs an owner."
        </p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let q = query.get_untracked();
                match data.await {
                    Ok(v) => Either::Left(view! { <Queue view=v query=q bulk bulk_saves/> }),
                    Err(e) => Either::Right(view! {
                        <LoadError error=e/>
                        <p><a href="/exceptions">"Show the whole queue"</a></p>
                    }),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Queue(
    view: QueueView,
    query: QueueQuery,
    bulk: ServerAction<ExceptionsBulkAssign>,
    bulk_saves: Memo<usize>,
) -> impl IntoView {
    let QueueView {
        page,
        people,
        can_edit,
    } = view;
    let export = format!(
        "/api/exceptions_export?{}",
        query.with_page(1).to_query_string()
    );
    let link = {
        let query = query.clone();
        move |n: u32| format!("/exceptions?{}", query.with_page(n).to_query_string())
    };
    let (prev, next) = (
        (page.page > 1).then(|| link(page.page - 1)),
        (page.page < page.pages).then(|| link(page.page + 1)),
    );
    let assigned = move || {
        bulk.value().get().and_then(Result::ok).map(|n| {
            view! { <p class="done" role="status">{format!("{n} exception(s) assigned.")}</p> }
        })
    };
    view! {
        <Counts counts=page.counts/>
        <Filters query=query.clone() people=people.clone() currencies=page.currencies.clone()/>
        <p class="queue-summary" data-testid="queue-summary">
            {format!(
                "{} exception(s) match · page {} of {}",
                page.total, page.page, page.pages
            )}
            " · "
            <a href=export download="" rel="external" data-testid="export-csv">"Export CSV"</a>
        </p>
        <ActionError value=bulk.value()/>
        {assigned}
        {if page.rows.is_empty() {
            Either::Left(view! { <p class="empty">"No exception matches this filter."</p> })
        } else {
            let table = view! { <QueueTable rows=page.rows.clone() can_edit bulk_saves/> };
            Either::Right(if can_edit {
                Either::Left(view! {
                    <ActionForm action=bulk attr:class="bulk">
                        {table}
                        <div class="bulk-bar">
                            <label for="bulk-owner">"Assign the selected exceptions to"</label>
                            <select id="bulk-owner" name="owner">
                                <option value="">"— nobody —"</option>
                                {people.into_iter().map(|p| view! {
                                    <option value=p.id.to_string()>{p.name}</option>
                                }).collect_view()}
                            </select>
                            <button type="submit">"Assign selected"</button>
                        </div>
                    </ActionForm>
                })
            } else {
                Either::Right(table)
            })
        }}
        <nav class="pager" aria-label="Pages">
            {prev.map(|href| view! { <a href=href rel="prev">"← Previous"</a> })}
            {next.map(|href| view! { <a href=href rel="next">"Next →"</a> })}
        </nav>
    }
}

/// Open, unassigned and overdue — shown loudly when they should not be there.
#[component]
fn Counts(counts: QueueCounts) -> impl IntoView {
    let loud = |n: i64| if n > 0 { "count alarm" } else { "count ok" };
    view! {
        <section class="queue-counts" aria-label="The queue at a glance">
            <a class="count" href="/exceptions" data-testid="count-open">
                <span class="n">{counts.open}</span>" open"
            </a>
            <a class=loud(counts.unassigned) href="/exceptions?owner=unassigned" data-testid="count-unassigned">
                <span class="n">{counts.unassigned}</span>" unassigned"
            </a>
            <a class=loud(counts.overdue) href="/exceptions?sort=due" data-testid="count-overdue">
                <span class="n">{counts.overdue}</span>" overdue"
            </a>
        </section>
        {(counts.unassigned > 0).then(|| view! {
            <p class="alarm-banner">
                {format!("{} open exception(s) have no owner. ", counts.unassigned)}
                <a href="/exceptions?owner=unassigned">"Assign them"</a>
            </p>
        })}
    }
}

/// The filter as a plain GET form: applying it is a link anyone can share.
#[component]
fn Filters(query: QueueQuery, people: Vec<Person>, currencies: Vec<String>) -> impl IntoView {
    let sel = |current: &str, value: &str| current == value;
    let q = query;
    view! {
        <form method="get" action="/exceptions" class="filters" aria-label="Filter the queue">
            <div>
                <label for="f-kind">"Kind"</label>
                <select id="f-kind" name="kind">
                    <option value="">"Any kind"</option>
                    {ExceptionKind::ALL.into_iter().map(|k| view! {
                        <option value=k.as_str() selected=sel(&q.kind, k.as_str())>{k.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="f-owner">"Owner"</label>
                <select id="f-owner" name="owner">
                    <option value="">"Anyone"</option>
                    <option value="unassigned" selected=sel(&q.owner, "unassigned")>"Unassigned"</option>
                    {people.into_iter().map(|p| {
                        let id = p.id.to_string();
                        let selected = sel(&q.owner, &id);
                        view! { <option value=id selected=selected>{p.name}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="f-status">"Status"</label>
                <select id="f-status" name="status">
                    <option value="">"Active (open, in progress, waiting)"</option>
                    <option value="all" selected=sel(&q.status, "all")>"All"</option>
                    {ExceptionStatus::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=sel(&q.status, s.as_str())>{s.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="f-currency">"Currency"</label>
                <select id="f-currency" name="currency">
                    <option value="">"Any"</option>
                    {currencies.into_iter().map(|c| {
                        let selected = q.currency.eq_ignore_ascii_case(&c);
                        view! { <option value=c.clone() selected=selected>{c.clone()}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="f-age">"Age"</label>
                <select id="f-age" name="age">
                    <option value="">"Any age"</option>
                    {AgeBucket::ALL.into_iter().map(|b| view! {
                        <option value=b.as_str() selected=sel(&q.age, b.as_str())>{b.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div>
                <label for="f-min">"Amount from"</label>
                <input id="f-min" name="min" inputmode="decimal" size="8" value=q.min.clone()/>
            </div>
            <div>
                <label for="f-max">"Amount to"</label>
                <input id="f-max" name="max" inputmode="decimal" size="8" value=q.max.clone()/>
            </div>
            <div>
                <label for="f-sort">"Sort"</label>
                <select id="f-sort" name="sort">
                    {QueueSort::ALL.into_iter().map(|s| {
                        let selected = sel(&q.sort, s.as_str()) || (q.sort.is_empty() && s == QueueSort::Age);
                        view! { <option value=s.as_str() selected=selected>{s.label()}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="filter-actions">
                <button type="submit">"Apply"</button>
                <a href="/exceptions">"Clear"</a>
            </div>
        </form>
    }
}

#[component]
fn QueueTable(rows: Vec<ExceptionRow>, can_edit: bool, bulk_saves: Memo<usize>) -> impl IntoView {
    view! {
        <table class="grid queue" data-testid="exceptions-table">
            <thead>
                <tr>
                    {can_edit.then(|| view! { <th><span class="sr-only">"Select"</span></th> })}
                    <th>"Kind"</th>
                    <th class="num">"Amount"</th>
                    <th>"Currency"</th>
                    <th class="num">"Age"</th>
                    <th>"Owner"</th>
                    <th>"Status"</th>
                    <th>"Next action"</th>
                    <th>"Due"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().enumerate().map(|(i, e)| {
                    let pick = format!("pick-{}", e.id);
                    view! {
                        <tr data-id=e.id.to_string() class:overdue=e.overdue>
                            {can_edit.then(|| view! {
                                <td>
                                    <input
                                        type="checkbox"
                                        id=pick.clone()
                                        name=format!("ids[{i}]")
                                        value=e.id.to_string()
                                        prop:checked=move || { bulk_saves.track(); false }
                                    />
                                    <label class="sr-only" for=pick.clone()>{format!("Select exception {}", e.id)}</label>
                                </td>
                            })}
                            <td><a href=format!("/exceptions/{}", e.id)>{e.kind.label()}</a></td>
                            <td class="num">{e.difference.map(|d| d.to_string()).unwrap_or_else(|| "—".into())}</td>
                            <td>{e.currency.clone()}</td>
                            <td class="num">{format!("{} d", e.age_days)}</td>
                            <td>{match e.owner_name.clone() {
                                Some(n) => Either::Left(view! { <span>{n}</span> }),
                                None => Either::Right(view! { <span class="unassigned">"Unassigned"</span> }),
                            }}</td>
                            <td>{e.status.label()}</td>
                            <td>{e.next_action.clone()}</td>
                            <td>
                                {date_or_dash(e.due_on)}
                                {e.overdue.then(|| view! { <span class="overdue-tag">" overdue"</span> })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn ExceptionPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").and_then(|s| s.parse::<i64>().ok()));
    let assign = ServerAction::<ExceptionAssign>::new();
    let plan = ServerAction::<ExceptionPlan>::new();
    let status = ServerAction::<SetStatus>::new();
    let comment = ServerAction::<ExceptionComment>::new();
    let (status_saves, comment_saves) = (saves(status), saves(comment));
    let saved = [saves(assign), saves(plan), status_saves, comment_saves];
    let data = Resource::new(
        move || (id.get(), saved.map(|s| s.get())),
        |(id, ..)| async move {
            match id {
                Some(id) => exception_detail(id).await,
                None => Err(AppError::NotFound("Exception".into())),
            }
        },
    );
    let actions = Actions {
        assign,
        plan,
        status,
        comment,
        status_saves,
        comment_saves,
    };
    view! {
        <p><a href="/exceptions">"← The queue"</a></p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => Either::Left(view! { <ExceptionScreen view=v actions/> }),
                    Err(e) => Either::Right(view! { <h1>"Exception"</h1> <LoadError error=e/> }),
                }
            })}
        </Suspense>
    }
}

#[derive(Clone, Copy)]
struct Actions {
    assign: ServerAction<ExceptionAssign>,
    plan: ServerAction<ExceptionPlan>,
    status: ServerAction<SetStatus>,
    comment: ServerAction<ExceptionComment>,
    /// Successful saves: the note and comment boxes empty after one.
    status_saves: Memo<usize>,
    comment_saves: Memo<usize>,
}

#[component]
fn ExceptionScreen(view: ExceptionPageView, actions: Actions) -> impl IntoView {
    let ExceptionPageView {
        detail,
        people,
        can_edit,
    } = view;
    let e = detail.exception.clone();
    let title = format!("{} · {}", e.kind.label(), amount(&e));
    view! {
        <h1 data-testid="exception-title">{title}</h1>
        <p class="purpose">{e.kind.explanation()}</p>
        <p class="reason">{e.reason.clone()}</p>
        <table class="grid facts" data-testid="exception-facts">
            <tbody>
                <tr><th>"Status"</th><td data-testid="exception-status">{e.status.label()}
                    {e.resolution.clone().map(|r| format!(" ({r})"))}</td></tr>
                <tr><th>"Owner"</th><td data-testid="exception-owner">{match e.owner_name.clone() {
                    Some(n) => Either::Left(view! { <span>{n}</span> }),
                    None => Either::Right(view! { <span class="unassigned">"Unassigned"</span> }),
                }}</td></tr>
                <tr><th>"Next action"</th><td data-testid="exception-next">{if e.next_action.is_empty() { "—".to_string() } else { e.next_action.clone() }}</td></tr>
                <tr><th>"Due"</th><td class:overdue=e.overdue>{date_or_dash(e.due_on)}{e.overdue.then_some(" (overdue)")}</td></tr>
                <tr><th>"Age"</th><td>{format!("{} days (since {})", e.age_days, date_or_dash(e.occurred_on))}</td></tr>
                <tr><th>"Found"</th><td>{when(e.opened_at)}{(e.reopen_count > 0).then(|| format!(", reopened {} time(s)", e.reopen_count))}</td></tr>
            </tbody>
        </table>
        <div class="sides">
            <section class="card side" aria-labelledby="bank-h">
                <h2 id="bank-h">"Wise (bank)"</h2>
                <BankLines lines=detail.bank.clone()/>
            </section>
            <section class="card side" aria-labelledby="books-h">
                <h2 id="books-h">"QuickBooks (books)"</h2>
                <BookLines lines=detail.books.clone()/>
            </section>
        </div>
        {(!detail.missing_ids.is_empty()).then(|| view! {
            <p class="note">
                "Named by the exception but not stored (any more): " {detail.missing_ids.join(", ")}
            </p>
        })}
        {(e.kind == ExceptionKind::UnbookedFee).then(|| view! { <crate::pages::fee::BookTheFee exception_id=e.id/> })}
        {can_edit.then(|| view! { <WorkForms e=e.clone() people=people.clone() actions/> })}
        <section class="card" aria-labelledby="comments-h">
            <h2 id="comments-h">"Comments"</h2>
            {if detail.comments.is_empty() {
                Either::Left(view! { <p class="empty">"No comments yet."</p> })
            } else {
                Either::Right(view! {
                    <ol class="thread" data-testid="comments">
                        {detail.comments.iter().map(|c| view! {
                            <li>
                                <p class="meta">{c.author.clone().unwrap_or_else(|| "system".into())} " · " {when(c.created_at)}</p>
                                <p class="body">{c.body.clone()}</p>
                            </li>
                        }).collect_view()}
                    </ol>
                })
            }}
            {can_edit.then(|| {
                let id = e.id.to_string();
                view! {
                    <ActionForm action=actions.comment attr:class="stack">
                        <input type="hidden" name="id" value=id/>
                        <label for="comment-body">"Add a comment"</label>
                        <textarea
                            id="comment-body"
                            name="body"
                            rows="3"
                            required
                            prop:value=move || { actions.comment_saves.track(); String::new() }
                        ></textarea>
                        <button type="submit">"Comment"</button>
                    </ActionForm>
                    <ActionError value=actions.comment.value()/>
                }
            })}
        </section>
        <History entries=detail.history.clone()/>
    }
}

#[component]
fn WorkForms(e: ExceptionRow, people: Vec<Person>, actions: Actions) -> impl IntoView {
    // One copy per form: each form's children are built by its own closure.
    let id_assign = e.id.to_string();
    let (id_plan, id_status) = (id_assign.clone(), id_assign.clone());
    let owner = e.owner_user_id;
    let current = e.status;
    view! {
        <section class="card work" aria-labelledby="work-h">
            <h2 id="work-h">"Work on it"</h2>
            <div class="work-forms">
                <ActionForm action=actions.assign attr:class="stack">
                    <input type="hidden" name="id" value=id_assign.clone()/>
                    <label for="assign-owner">"Owner"</label>
                    <select id="assign-owner" name="owner">
                        <option value="" selected=owner.is_none()>"— nobody —"</option>
                        {people.into_iter().map(|p| view! {
                            <option value=p.id.to_string() selected=owner == Some(p.id)>{p.name}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit">"Assign"</button>
                    <ActionError value=actions.assign.value()/>
                    <ActionDone value=actions.assign.value() text="Owner saved."/>
                </ActionForm>
                <ActionForm action=actions.plan attr:class="stack">
                    <input type="hidden" name="id" value=id_plan.clone()/>
                    <label for="plan-next">"Next action"</label>
                    <input id="plan-next" name="next_action" value=e.next_action.clone() maxlength="500"/>
                    <label for="plan-due">"Due date"</label>
                    <input id="plan-due" name="due_on" type="date" value=e.due_on.map(|d| d.to_string()).unwrap_or_default()/>
                    <button type="submit">"Save next step"</button>
                    <ActionError value=actions.plan.value()/>
                    <ActionDone value=actions.plan.value() text="Next step saved."/>
                </ActionForm>
                <ActionForm action=actions.status attr:class="stack">
                    <input type="hidden" name="id" value=id_status.clone()/>
                    <label for="status-status">"Status"</label>
                    <select id="status-status" name="status">
                        {ExceptionStatus::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=s == current>{s.label()}</option>
                        }).collect_view()}
                    </select>
                    <label for="status-note">"Note (required to dismiss; added to the comments)"</label>
                    <textarea
                        id="status-note"
                        name="note"
                        rows="2"
                        prop:value=move || { actions.status_saves.track(); String::new() }
                    ></textarea>
                    <p class="hint">"Resolved by hand: if the next sync still finds the break, it reopens."</p>
                    <button type="submit">"Change status"</button>
                    <ActionError value=actions.status.value()/>
                    <ActionDone value=actions.status.value() text="Status changed."/>
                </ActionForm>
            </div>
        </section>
    }
}

#[component]
fn BankLines(lines: Vec<BankSide>) -> impl IntoView {
    if lines.is_empty() {
        return Either::Left(
            view! { <p class="empty">"No Wise line: nothing moved in the bank for this."</p> },
        );
    }
    Either::Right(view! {
        <table class="grid facts" data-testid="bank-side">
            <tbody>
                {lines.into_iter().map(|l| view! {
                    <tr><th>"Reference"</th><td>{l.id.clone()}</td></tr>
                    <tr><th>"Booked"</th><td>{when(l.booked_at)}</td></tr>
                    <tr><th>"Amount"</th><td class="num">{l.amount.to_string()}</td></tr>
                    <tr><th>"Wise fee"</th><td class="num">{l.fee.to_string()}</td></tr>
                    <tr><th>"Counterparty"</th><td>{l.counterparty.clone()}</td></tr>
                    <tr><th>"Description"</th><td>{l.description.clone()}</td></tr>
                    <tr><th>"Payment reference"</th><td>{l.payment_reference.clone()}</td></tr>
                    <tr class="sep"><th>"Source"</th><td>{if l.source == "upload" { "uploaded statement" } else { "Wise API" }}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    })
}

#[component]
fn BookLines(lines: Vec<BookSide>) -> impl IntoView {
    if lines.is_empty() {
        return Either::Left(view! { <p class="empty">"No posting in QuickBooks for this."</p> });
    }
    Either::Right(view! {
        <table class="grid facts" data-testid="book-side">
            <tbody>
                {lines.into_iter().map(|b| view! {
                    <tr><th>"Posting"</th><td>{b.external_id.clone()}{b.deleted.then_some(" (deleted in QuickBooks)")}</td></tr>
                    <tr><th>"Date"</th><td>{b.txn_date.to_string()}</td></tr>
                    <tr><th>"Amount"</th><td class="num">{b.amount.to_string()}</td></tr>
                    <tr><th>"Counterparty"</th><td>{b.counterparty.clone()}</td></tr>
                    <tr><th>"Memo"</th><td>{b.memo.clone()}</td></tr>
                    <tr><th>"Doc / ref no."</th><td>{format!("{} {}", b.doc_number, b.payment_ref_num)}</td></tr>
                    <tr class="sep"><th>"Bank charge"</th><td>{if b.is_bank_charge { "yes" } else { "no" }}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    })
}

fn history_label(action: &str) -> &str {
    match action {
        "exception.assign" => "Owner changed",
        "exception.plan" => "Next step set",
        "exception.status" => "Status changed",
        "exception.comment" => "Comment added",
        "exception.reopen" => "Reopened by a sync",
        "exception.auto_resolve" => "Resolved by a sync",
        other => other,
    }
}

#[component]
fn History(entries: Vec<HistoryEntry>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="history-h">
            <h2 id="history-h">"History"</h2>
            {if entries.is_empty() {
                Either::Left(view! { <p class="empty">"Nothing has happened to it yet."</p> })
            } else {
                Either::Right(view! {
                    <table class="grid" data-testid="history">
                        <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Before"</th><th>"After"</th></tr></thead>
                        <tbody>
                            {entries.into_iter().map(|h| view! {
                                <tr>
                                    <td>{when(h.at)}</td>
                                    <td>{h.actor.clone()}</td>
                                    <td>{history_label(&h.action).to_owned()}</td>
                                    <td><code>{h.before.clone().unwrap_or_default()}</code></td>
                                    <td><code>{h.after.clone().unwrap_or_default()}</code></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                })
            }}
        </section>
    }
}
