//! Jobs: the list and one job with its lifecycle, history and photos.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::properties::use_id;
use crate::api::jobs::{get_job, list_jobs, CheckItem, CorrectJobAmount, TransitionJob};
use crate::app::components::{
    loaded, loaded_keeping, on_live_change, successes, use_outbox, Empty, FormError, StatusTabs,
};
use crate::app::{On, SiteGate};
use crate::error::AppError;
use crate::model::pricing::money;
use crate::model::JobStatus;

#[component]
pub fn JobsPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").unwrap_or_default();
    let list = Resource::new(status, |s| list_jobs((!s.is_empty()).then_some(s)));
    view! {
        <Title text="Jobs" />
        <SiteGate on=On::Tenant>
            <div class="page-head">
                <h1>"Jobs"</h1>
            </div>
            <StatusTabs
                base="/jobs"
                label="Job status"
                current=Signal::derive(status)
                tabs=vec![
                    ("", "All"),
                    ("approved", "To schedule"),
                    ("scheduled", "Scheduled"),
                    ("in_progress", "In progress"),
                    ("completed", "Completed"),
                ]
            />
            {loaded(
                list,
                move |v| match v {
                    rows if rows.is_empty() => {
                        view! {
                            <Empty title="No jobs here">
                                <p>"A quote the customer approved becomes a job from its page."</p>
                            </Empty>
                        }
                            .into_any()
                    }
                    rows => {
                        view! {
                            <table class="list">
                                <thead>
                                    <tr>
                                        <th>"Job"</th>
                                        <th>"Customer"</th>
                                        <th class="hide-phone">"Address"</th>
                                        <th>"Status"</th>
                                        <th>"Day"</th>
                                        <th class="num hide-phone">"Total"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {rows
                                        .into_iter()
                                        .map(|j| {
                                            view! {
                                                <tr>
                                                    <td>
                                                        <A href=format!(
                                                            "/jobs/{}",
                                                            j.id,
                                                        )>{format!("J-{}", j.number)}</A>
                                                    </td>
                                                    <td>{j.customer_name}</td>
                                                    <td class="hide-phone">
                                                        {format!("{}, {}", j.street, j.city)}
                                                    </td>
                                                    <td>
                                                        <span class=format!(
                                                            "pill {}",
                                                            j.status.code(),
                                                        )>{j.status.label()}</span>
                                                    </td>
                                                    <td>
                                                        {j
                                                            .scheduled_for
                                                            .map(crate::app::show_weekday)
                                                            .unwrap_or_else(|| "—".into())}
                                                    </td>
                                                    <td class="num hide-phone">{money(j.total)}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        }
                            .into_any()
                    }
                },
            )}
        </SiteGate>
    }
}

#[component]
pub fn JobPage() -> impl IntoView {
    let id = use_id("id");
    let query = use_query_map();
    let photo_error = move || query.read().get("photo_error");
    let transition = ServerAction::<TransitionJob>::new();
    let transition_done = successes(move || transition.value().get());
    let correct = ServerAction::<CorrectJobAmount>::new();
    let correct_done = successes(move || correct.value().get());
    let check = ServerAction::<CheckItem>::new();
    let check_done = successes(move || check.value().get());
    let errors = Signal::derive(move || {
        let failed = |r: Option<Result<(), AppError>>| r.and_then(Result::err);
        failed(transition.value().get())
            .or_else(|| failed(correct.value().get()))
            .or_else(|| failed(check.value().get()))
    });
    // Another user's change (the office sees the crew's photos and status
    // as they happen) and the phone's queue reaching the server reload it.
    let refresh = RwSignal::new(0u32);
    on_live_change(move || refresh.update(|n| *n += 1));
    let outbox = use_outbox();
    let sent = Memo::new(move |_| outbox.with(|o| o.sent));
    let job = Resource::new(
        move || {
            (
                id.get(),
                (transition_done.get(), correct_done.get(), check_done.get()),
                (refresh.get(), sent.get()),
            )
        },
        |(id, _, _)| async move {
            match id {
                Some(id) => get_job(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Title text="Job" />
        <SiteGate on=On::Tenant>
            {loaded_keeping(
                job,
                move |j| {
                    let jid = j.id;
                    let want_before = !j.photos.iter().any(|p| p.kind == "before");
                    let (total, invoiced) = (j.total, j.invoiced_amount);
                    let status = j.status;
                    let role = j.role;
                    let allowed = j.allowed.clone();
                    let shown = move || outbox.with(|o| o.status(jid, status));
                    let photos = j.photos.clone();
                    let kind = j.kind;
                    let missing = move || -> Vec<&'static str> {
                        outbox
                            .with(|o| {
                                crate::model::missing_photos(kind, &photos)
                                    .into_iter()
                                    .filter(|k| o.photos(jid, k) == 0)
                                    .collect()
                            })
                    };
                    let next = move || -> Vec<JobStatus> {
                        let (now, waiting) = shown();
                        if waiting {
                            now.next().iter().copied().filter(|to| role.moves_job_to(*to)).collect()
                        } else {
                            allowed.clone()
                        }
                    };
                    let closed = move || shown().0.next().is_empty();
                    let battery = kind == crate::model::job::JobKind::Battery;
                    let visit_pets: Vec<String> = j
                        .pets
                        .iter()
                        .filter(|p| j.visit_pets.contains(&p.id))
                        .map(|p| p.name.clone())
                        .collect();
                    let nav = j
                        .lat
                        .zip(j.lon)
                        .map(|(a, b)| {
                            format!("https://www.google.com/maps/dir/?api=1&destination={a},{b}")
                        });
                    let before: Vec<_> = j
                        .photos
                        .iter()
                        .filter(|p| p.kind == "before")
                        .cloned()
                        .collect();
                    let after: Vec<_> = j
                        .photos
                        .iter()
                        .filter(|p| p.kind == "after")
                        .cloned()
                        .collect();
                    let gallery = |list: Vec<crate::model::PhotoInfo>| {
                        if list.is_empty() {
                            // The pets a battery visit is for, by name.
                            // The job as it will be once this phone's waiting
                            // changes are sent.
                            view! { <p class="muted">"None yet."</p> }
                                .into_any()
                        } else {
                            view! {
                                <ul class="photos">
                                    {list
                                        .into_iter()
                                        .map(|p| {
                                            view! {
                                                <li>
                                                    <a href=format!("/photos/{}", p.id) target="_blank">
                                                        <img
                                                            src=format!("/photos/{}/thumb", p.id)
                                                            alt=format!("{} photo", p.kind)
                                                            loading="lazy"
                                                        />
                                                    </a>
                                                    <span class="muted small">
                                                        {p
                                                            .taken_at
                                                            .map(|t| format!("Taken {}", crate::app::local_short(t)))
                                                            .unwrap_or_else(|| {
                                                                format!("Added {}", crate::app::local_short(p.created_at))
                                                            })}
                                                        {p
                                                            .lat
                                                            .zip(p.lon)
                                                            .map(|(a, b)| format!(" · {a:.4}, {b:.4}"))}
                                                        {p.uploaded_by.map(|u| format!(" · {u}"))}
                                                    </span>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    };
                    view! {
                        <Title text=format!("Job J-{}", j.number) />
                        <nav class="crumbs">
                            <A href="/jobs">"Jobs"</A>
                            " / "
                        </nav>
                        <div class="page-head">
                            <h1>
                                {if battery {
                                    format!("Battery visit J-{} ", j.number)
                                } else {
                                    format!("Job J-{} ", j.number)
                                }}
                                {move || {
                                    let (s, waiting) = shown();
                                    view! {
                                        <span
                                            class=format!("pill {}", s.code())
                                            data-testid="job-status"
                                        >
                                            {s.label()}
                                        </span>
                                        {waiting
                                            .then(|| {
                                                view! {
                                                    <span class="pill waiting">"waiting to send"</span>
                                                }
                                            })}
                                    }
                                }}
                            </h1>
                        </div>
                        <FormError errors />
                        {(!j.gate_notes.is_empty())
                            .then(|| {
                                view! {
                                    <p class="gate-notes" data-testid="gate-notes">
                                        <strong>"At the gate: "</strong>
                                        {j.gate_notes.clone()}
                                    </p>
                                }
                            })}
                        <div class="grid2">
                            <section class="card details">
                                <dl>
                                    <dt>"Customer"</dt>
                                    <dd>
                                        <A href=format!(
                                            "/customers/{}",
                                            j.customer_id,
                                        )>{j.customer_name.clone()}</A>
                                        {j
                                            .customer_phone
                                            .clone()
                                            .map(|p| {
                                                view! {
                                                    " · "
                                                    <a href=format!("tel:{p}")>{p.clone()}</a>
                                                }
                                            })}
                                    </dd>
                                    <dt>"Address"</dt>
                                    <dd>
                                        <A href=format!(
                                            "/properties/{}",
                                            j.property_id,
                                        )>{j.address.clone()}</A>
                                        {nav
                                            .map(|n| {
                                                view! {
                                                    " · "
                                                    <a href=n target="_blank" rel="noopener">
                                                        "Navigate"
                                                    </a>
                                                }
                                            })}
                                    </dd>
                                    {match (j.quote_id, j.quote_number) {
                                        (Some(q), Some(n)) => {
                                            view! {
                                                <dt>"Quote"</dt>
                                                <dd>
                                                    <A href=format!("/quotes/{q}")>{format!("Q-{n}")}</A>
                                                    {format!(" · {}", money(j.total))}
                                                </dd>
                                            }
                                                .into_any()
                                        }
                                        _ => {
                                            view! {
                                                <dt>"Visit"</dt>
                                                <dd data-testid="visit">
                                                    {format!(
                                                        "Collar batteries for {} · {}",
                                                        visit_pets.join(", "),
                                                        money(j.total),
                                                    )}
                                                </dd>
                                            }
                                                .into_any()
                                        }
                                    }}
                                    <dt>"Scheduled"</dt>
                                    <dd>
                                        {j
                                            .scheduled_for
                                            .map(crate::app::show_long_date)
                                            .unwrap_or_else(|| "Not yet".into())}
                                    </dd>
                                    {[
                                        ("Invoiced", "invoiced", j.invoiced_amount),
                                        ("Paid", "paid", j.paid_amount),
                                    ]
                                        .into_iter()
                                        .filter_map(|(label, kind, amount)| {
                                            amount
                                                .map(|a| {
                                                    view! {
                                                        <dt>{label}</dt>
                                                        <dd data-testid=kind>
                                                            {money(a)}
                                                            {j
                                                                .can_correct
                                                                .then(|| {
                                                                    view! {
                                                                        <CorrectAmount id=j.id kind amount=a action=correct />
                                                                    }
                                                                })}
                                                        </dd>
                                                    }
                                                })
                                        })
                                        .collect_view()}
                                    <dt>"Materials"</dt>
                                    <dd>
                                        {if battery {
                                            crate::model::count(
                                                visit_pets.len() as i64,
                                                "collar battery",
                                                "collar batteries",
                                            )
                                        } else {
                                            format!(
                                                "{} ft wire ({}), {}, {}, {}",
                                                j.takeoff.wire_ft,
                                                crate::model::count(j.takeoff.spools, "spool", "spools"),
                                                crate::model::count(j.takeoff.flags, "flag", "flags"),
                                                crate::model::count(j.takeoff.splices, "splice", "splices"),
                                                crate::model::count(j.takeoff.collars, "collar", "collars"),
                                            )
                                        }}
                                    </dd>
                                    {(!j.site_notes.is_empty())
                                        .then(|| {
                                            view! {
                                                <dt>"Site notes"</dt>
                                                <dd class="pre">{j.site_notes.clone()}</dd>
                                            }
                                        })}
                                    <dt>"Pets"</dt>
                                    <dd data-testid="pets">
                                        {if j.pets.is_empty() {
                                            "None recorded".to_string()
                                        } else {
                                            j.pets.iter().map(pet_line).collect::<Vec<_>>().join(" · ")
                                        }}
                                    </dd>
                                </dl>
                            </section>
                            <section class="card">
                                <h2>"Next step"</h2>
                                {move || {
                                    let next = next();
                                    let missing = missing();
                                    if closed() {
                                        view! { <p class="muted">"This job is closed."</p> }
                                            .into_any()
                                    } else if next.is_empty() {
                                        view! {
                                            <p class="muted">
                                                "Nothing for your role to do on this job at this stage; the office schedules, invoices and closes jobs."
                                            </p>
                                        }
                                            .into_any()
                                    } else {
                                        view! {
                                            <div class="transitions">
                                                {next
                                                    .into_iter()
                                                    .map(|to| {
                                                        let blocked = to == JobStatus::Completed
                                                            && !missing.is_empty();
                                                        let missing = missing.clone();
                                                        view! {
                                                            <ActionForm action=transition attr:class="stack transition">
                                                                <input type="hidden" name="id" value=jid.to_string() />
                                                                <input type="hidden" name="to" value=to.code() />
                                                                {(to == JobStatus::Scheduled)
                                                                    .then(|| {
                                                                        view! {
                                                                            <label>
                                                                                "Day "<input type="date" name="date" required />
                                                                            </label>
                                                                        }
                                                                    })}
                                                                {matches!(
                                                                    to,
                                                                    JobStatus::InProgress
                                                                    | JobStatus::Completed
                                                                    | JobStatus::Cancelled
                                                                )
                                                                    .then(|| {
                                                                        view! {
                                                                            <label>
                                                                                "Note (optional) "
                                                                                <input
                                                                                    name="note"
                                                                                    maxlength="500"
                                                                                    placeholder=if to == JobStatus::Cancelled {
                                                                                        "why"
                                                                                    } else {
                                                                                        "e.g. gate locked, flags left by the side door"
                                                                                    }
                                                                                />
                                                                            </label>
                                                                        }
                                                                    })}
                                                                {matches!(to, JobStatus::Invoiced | JobStatus::Paid)
                                                                    .then(|| {
                                                                        let default = if to == JobStatus::Paid {
                                                                            invoiced.unwrap_or(total)
                                                                        } else {
                                                                            total
                                                                        };
                                                                        view! {
                                                                            <label>
                                                                                {if to == JobStatus::Paid {
                                                                                    "Amount paid ($) "
                                                                                } else {
                                                                                    "Invoice amount ($) "
                                                                                }}
                                                                                <input
                                                                                    name="amount"
                                                                                    inputmode="decimal"
                                                                                    required
                                                                                    value=default.to_string()
                                                                                />
                                                                            </label>
                                                                        }
                                                                    })}
                                                                <button
                                                                    type="submit"
                                                                    class=if to == JobStatus::Cancelled {
                                                                        "danger"
                                                                    } else {
                                                                        "primary"
                                                                    }
                                                                    disabled=blocked
                                                                >
                                                                    {to.verb()}
                                                                </button>
                                                                {blocked
                                                                    .then(|| {
                                                                        view! {
                                                                            <p class="hint">
                                                                                {format!(
                                                                                    "Add the {} photo{} first.",
                                                                                    missing.join(" and "),
                                                                                    if missing.len() == 1 { "" } else { "s" },
                                                                                )}
                                                                            </p>
                                                                        }
                                                                    })}
                                                            </ActionForm>
                                                        }
                                                    })
                                                    .collect_view()}
                                            </div>
                                        }
                                            .into_any()
                                    }
                                }}
                            </section>
                        </div>
                        <div class="grid2">
                            <section class="card" id="checklist">
                                <h2>"Checklist"</h2>
                                <Checklist
                                    id=jid
                                    kind
                                    done=j.checklist_done.clone()
                                    can_tick=j.can_manage
                                    status=Signal::derive(move || shown().0)
                                    action=check
                                />
                            </section>
                            {(!battery)
                                .then(|| {
                                    view! {
                                        <section class="card">
                                            <h2>"Plan"</h2>
                                            <PlanSketch drawing=j.drawing.clone() />
                                            <p class="muted small">
                                                {format!(
                                                    "{} ft of wire · {} layout",
                                                    j.takeoff.wire_ft,
                                                    j.drawing.layout.label(),
                                                )}
                                            </p>
                                        </section>
                                    }
                                })}
                        </div>
                        <section class="card" id="photos">
                            <h2>"Photos"</h2>
                            {move || {
                                photo_error()
                                    .map(|e| {
                                        view! {
                                            <div class="banner banner-error" role="alert">
                                                {e}
                                            </div>
                                        }
                                    })
                            }}
                            {j
                                .can_manage
                                .then(|| {
                                    view! {
                                        <form
                                            method="post"
                                            action=format!("/jobs/{}/photos", j.id)
                                            enctype="multipart/form-data"
                                            class="upload"
                                        >
                                            <label>
                                                "Photo type " <select name="kind" required>
                                                    <option value="before" selected=want_before>
                                                        "Before"
                                                    </option>
                                                    <option value="after" selected=!want_before>
                                                        "After"
                                                    </option>
                                                </select>
                                            </label>
                                            <input
                                                type="file"
                                                name="photo"
                                                accept="image/jpeg,image/png,image/webp"
                                                capture="environment"
                                                multiple
                                                required
                                                aria-label="Photo"
                                            />
                                            <button type="submit">"Upload"</button>
                                            <p class="hint">
                                                "JPEG, PNG or WebP, up to 20 MB each. The time and place the phone recorded are kept."
                                            </p>
                                        </form>
                                    }
                                })}
                            {move || {
                                let (b, a) = outbox
                                    .with(|o| (o.photos(jid, "before"), o.photos(jid, "after")));
                                (b + a > 0)
                                    .then(|| {
                                        view! {
                                            <p class="waiting" data-testid="photos-waiting">
                                                {format!(
                                                    "Waiting to send from this phone: {} before, {} after.",
                                                    b,
                                                    a,
                                                )}
                                            </p>
                                        }
                                    })
                            }}
                            <h3>"Before"</h3>
                            {gallery(before)}
                            <h3>"After"</h3>
                            {gallery(after)}
                        </section>
                        <section class="card">
                            <h2>"History"</h2>
                            <ol class="history">
                                {j
                                    .events
                                    .iter()
                                    .map(|e| {
                                        view! {
                                            <li>
                                                <strong>
                                                    {match e.from {
                                                        Some(f) => format!("{} → {}", f.label(), e.to.label()),
                                                        None => {
                                                            format!("Created as {}", e.to.label().to_lowercase())
                                                        }
                                                    }}
                                                </strong>
                                                <span class="muted">
                                                    {format!(
                                                        " · {} · {}",
                                                        e.by.clone().unwrap_or_else(|| "someone".into()),
                                                        crate::app::local_date_time(e.at),
                                                    )}
                                                </span>
                                                {(!e.note.is_empty())
                                                    .then(|| {
                                                        view! {
                                                            <br />
                                                            <span class="small">{e.note.clone()}</span>
                                                        }
                                                    })}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ol>
                        </section>
                    }
                        .into_any()
                },
            )}
        </SiteGate>
    }
}

/// The owner's correction of an invoiced or paid amount: a two-step form
/// asking for the right amount and why.
#[component]
fn CorrectAmount(
    id: uuid::Uuid,
    kind: &'static str,
    amount: rust_decimal::Decimal,
    action: ServerAction<CorrectJobAmount>,
) -> impl IntoView {
    view! {
        <details class="confirm correct">
            <summary class="button small secondary">"Correct…"</summary>
            <ActionForm action attr:class="stack">
                <input type="hidden" name="id" value=id.to_string() />
                <input type="hidden" name="kind" value=kind />
                <label>
                    "Right amount ($) "
                    <input name="amount" inputmode="decimal" required value=amount.to_string() />
                </label>
                <label>
                    "Why "
                    <input
                        name="reason"
                        required
                        maxlength="500"
                        placeholder="e.g. discount agreed on site"
                    />
                </label>
                <button type="submit" class="small">
                    "Save correction"
                </button>
            </ActionForm>
        </details>
    }
}

/// "Rosie (Border Collie, 42 lb, PetSafe PIF-275)".
fn pet_line(p: &crate::model::Pet) -> String {
    let mut about = Vec::new();
    if !p.breed.is_empty() {
        about.push(p.breed.clone());
    }
    if let Some(w) = p.weight_lb {
        about.push(format!("{} lb", w.normalize()));
    }
    if !p.collar_model.is_empty() {
        about.push(p.collar_model.clone());
    }
    if about.is_empty() {
        p.name.clone()
    } else {
        format!("{} ({})", p.name, about.join(", "))
    }
}

/// The job's checklist: a button per item that ticks or unticks it (a form
/// of its own, so it works without JavaScript and from the phone's queue).
#[component]
fn Checklist(
    id: uuid::Uuid,
    kind: crate::model::job::JobKind,
    done: Vec<String>,
    can_tick: bool,
    #[prop(into)] status: Signal<JobStatus>,
    action: ServerAction<CheckItem>,
) -> impl IntoView {
    let outbox = use_outbox();
    move || {
        let list = kind.checklist();
        let ticked = outbox.with(|o| o.ticked(id, list, &done));
        let open = can_tick && crate::model::job::checklist_open(status.get());
        let n = ticked.len();
        let items = list
            .iter()
            .map(|(key, label)| {
                let on = ticked.iter().any(|t| t == key);
                let mark = if on { "☑" } else { "☐" };
                if open {
                    view! {
                        <li>
                            <ActionForm action>
                                <input type="hidden" name="id" value=id.to_string() />
                                <input type="hidden" name="item" value=*key />
                                <input type="hidden" name="done" value=(!on).to_string() />
                                <button
                                    type="submit"
                                    class="check"
                                    class:done=on
                                    aria-pressed=on.to_string()
                                >
                                    <span aria-hidden="true">{mark}</span>
                                    " "
                                    {*label}
                                </button>
                            </ActionForm>
                        </li>
                    }
                    .into_any()
                } else {
                    view! {
                        <li class="check" class:done=on>
                            <span aria-hidden="true">{mark}</span>
                            " "
                            {*label}
                        </li>
                    }
                    .into_any()
                }
            })
            .collect_view();
        view! {
            <p class="muted small" data-testid="checklist-count">
                {format!("{n} of {} done", list.len())}
            </p>
            <ul class="checklist">{items}</ul>
        }
    }
}

/// The plan as quoted, drawn small and read-only: the boundary loop, the
/// lead from the transmitter, the crossings.
#[component]
pub fn PlanSketch(drawing: crate::model::takeoff::Drawing) -> impl IntoView {
    let d = drawing;
    let pts = d
        .boundary
        .iter()
        .chain(d.lead.iter())
        .chain(d.transmitter.iter())
        .chain(d.crossings.iter().flatten())
        .copied()
        .collect::<Vec<_>>();
    if d.boundary.len() < 2 {
        return view! { <p class="muted">"No plan drawn for this property."</p> }.into_any();
    }
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for p in &pts {
        x0 = x0.min(p.x);
        y0 = y0.min(p.y);
        x1 = x1.max(p.x);
        y1 = y1.max(p.y);
    }
    let pad = ((x1 - x0).max(y1 - y0) * 0.08).max(5.0);
    let view_box = format!(
        "{} {} {} {}",
        x0 - pad,
        y0 - pad,
        x1 - x0 + 2.0 * pad,
        y1 - y0 + 2.0 * pad
    );
    let line = |v: &[crate::model::takeoff::Pt]| {
        v.iter()
            .map(|p| format!("{},{}", p.x, p.y))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let boundary = line(&d.boundary);
    let lead = d
        .transmitter
        .map(|t| {
            let mut v = vec![t];
            v.extend(d.lead.iter().copied());
            line(&v)
        })
        .unwrap_or_default();
    view! {
        <svg
            class="plan-sketch"
            viewBox=view_box
            role="img"
            aria-label="The boundary plan"
            preserveAspectRatio="xMidYMid meet"
        >
            <polygon class="boundary" points=boundary vector-effect="non-scaling-stroke" />
            <polyline class="lead" points=lead vector-effect="non-scaling-stroke" />
            {d
                .crossings
                .iter()
                .map(|[a, b]| {
                    view! {
                        <line
                            class="crossing"
                            x1=a.x
                            y1=a.y
                            x2=b.x
                            y2=b.y
                            vector-effect="non-scaling-stroke"
                        />
                    }
                })
                .collect_view()}
            {d
                .transmitter
                .map(|t| {
                    view! { <circle class="transmitter" cx=t.x cy=t.y r=pad * 0.4 /> }
                })}
        </svg>
    }
    .into_any()
}
