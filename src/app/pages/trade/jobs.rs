//! Jobs: the list and one job with its lifecycle, history and photos.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::properties::use_id;
use crate::api::jobs::{get_job, list_jobs, CorrectJobAmount, TransitionJob};
use crate::app::components::{loaded, successes, Empty, FormError, StatusTabs};
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
                                                            .map(|d| d.format("%a %b %-d").to_string())
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
    let errors = Signal::derive(move || {
        let failed = |r: Option<Result<(), AppError>>| r.and_then(Result::err);
        failed(transition.value().get()).or_else(|| failed(correct.value().get()))
    });
    let job = Resource::new(
        move || (id.get(), transition_done.get(), correct_done.get()),
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
            {loaded(
                job,
                move |j| {
                    let missing = j.missing_photos();
                    let want_before = !j.photos.iter().any(|p| p.kind == "before");
                    let closed = j.status.next().is_empty();
                    let (total, invoiced) = (j.total, j.invoiced_amount);
                    let next: Vec<JobStatus> = j.allowed.clone();
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
                            view! { <p class="muted">"None yet."</p> }.into_any()
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
                                {format!("Job J-{} ", j.number)}
                                <span
                                    class=format!("pill {}", j.status.code())
                                    data-testid="job-status"
                                >
                                    {j.status.label()}
                                </span>
                            </h1>
                        </div>
                        <FormError errors />
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
                                    <dt>"Quote"</dt>
                                    <dd>
                                        <A href=format!(
                                            "/quotes/{}",
                                            j.quote_id,
                                        )>{format!("Q-{}", j.quote_number)}</A>
                                        {format!(" · {}", money(j.total))}
                                    </dd>
                                    <dt>"Scheduled"</dt>
                                    <dd>
                                        {j
                                            .scheduled_for
                                            .map(|d| d.format("%A %b %-d, %Y").to_string())
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
                                        {format!(
                                            "{} ft wire ({}), {}, {}, {}",
                                            j.takeoff.wire_ft,
                                            crate::model::count(j.takeoff.spools, "spool", "spools"),
                                            crate::model::count(j.takeoff.flags, "flag", "flags"),
                                            crate::model::count(j.takeoff.splices, "splice", "splices"),
                                            crate::model::count(j.takeoff.collars, "collar", "collars"),
                                        )}
                                    </dd>
                                    <dt>"Checklist"</dt>
                                    <dd>
                                        "Call 811 for a utility locate · flags every 10 ft · seal every splice · test the collar at the boundary"
                                    </dd>
                                </dl>
                            </section>
                            <section class="card">
                                <h2>"Next step"</h2>
                                {if closed {
                                    view! { <p class="muted">"This job is closed."</p> }.into_any()
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
                                                            <input type="hidden" name="id" value=j.id.to_string() />
                                                            <input type="hidden" name="to" value=to.code() />
                                                            {(to == JobStatus::Scheduled)
                                                                .then(|| {
                                                                    view! {
                                                                        <label>
                                                                            "Day "<input type="date" name="date" required />
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
                                }}
                            </section>
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
