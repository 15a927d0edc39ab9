//! Settings → Data: export everything on demand (CSV files and one SQLite
//! file with the photos, in a zip), and the daily cloud backups of Growth
//! and Enterprise workspaces. An export is built in the background; the
//! page follows its progress (also after a reload) until it can be
//! downloaded.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::SettingsTabs;
use crate::api::data::{get_data_overview, StartExport};
use crate::app::components::{action_error, loaded_keeping, successes, FormError};
use crate::app::{On, SiteGate};
use crate::model::export::{ArchiveRow, DataOverview, EXPORT_KEEP_DAYS};

#[component]
pub fn DataPage() -> impl IntoView {
    let start = ServerAction::<StartExport>::new();
    let started = successes(move || start.value().get());
    // Bumped every 1.5 s while an archive is being built.
    let tick = RwSignal::new(0u32);
    let info = Resource::new(move || (started.get(), tick.get()), |_| get_data_overview());
    Effect::new(move |_| {
        let busy = matches!(info.get(), Some(Ok(ref o)) if o.busy());
        if busy {
            set_timeout(
                move || tick.update(|t| *t += 1),
                std::time::Duration::from_millis(1500),
            );
        }
    });
    let errors = action_error(move || start.value().get());
    view! {
        <Title text="Data" />
        <SiteGate on=On::Tenant>
            <div class="page-head">
                <h1>"Settings"</h1>
            </div>
            <SettingsTabs />
            <FormError errors />
            {loaded_keeping(info, move |o| view! { <DataBody o start /> }.into_any())}
        </SiteGate>
    }
}

#[component]
fn DataBody(o: DataOverview, start: ServerAction<StartExport>) -> impl IntoView {
    let busy = o.exports.iter().any(ArchiveRow::in_progress);
    let disabled = move || busy || start.pending().get();
    let backups = o.backups.clone();
    let keep = o.backup_keep_days;
    view! {
        <div class="grid2">
            <section class="card" data-testid="export">
                <h2>"Export your data"</h2>
                <p>
                    "One zip file with everything in this workspace: customers, properties, pets, quotes with every version, jobs with their history, crews, the price book and the job photos. Each table comes as a CSV file (opens in Excel or Google Sheets) and all of them as one SQLite database, with a manifest of checksums."
                </p>
                <p class="hint">
                    {format!(
                        "Exports are prepared in the background and can be downloaded for {EXPORT_KEEP_DAYS} days. We email you when one is ready.",
                    )}
                </p>
                <ActionForm action=start>
                    <button type="submit" disabled=disabled>
                        {move || {
                            if start.pending().get() {
                                "Starting…"
                            } else if busy {
                                "Export in progress…"
                            } else {
                                "Export all data"
                            }
                        }}
                    </button>
                </ActionForm>
                <ArchiveTable rows=o.exports.clone() empty="No exports yet." testid="exports" />
            </section>
            <section class="card" data-testid="backups">
                <h2>"Daily backups"</h2>
                {if o.backups_included {
                    view! {
                        <p>
                            {format!(
                                "Every day a backup of the whole workspace (the same archive as an export) is kept in cloud storage for {}.",
                                crate::model::count(keep, "day", "days"),
                            )}
                        </p>
                        <ArchiveTable
                            rows=backups
                            empty="The first backup is made within a few minutes."
                            testid="backup-list"
                        />
                    }
                        .into_any()
                } else {
                    view! {
                        <p>
                            "Daily cloud backups, kept for a week, come with the Growth and Enterprise plans. On Starter, export your data whenever you like."
                        </p>
                        <p>
                            <A href="/settings/billing" attr:class="button secondary">
                                "See plans"
                            </A>
                        </p>
                    }
                        .into_any()
                }}
            </section>
        </div>
    }
}

#[component]
fn ArchiveTable(rows: Vec<ArchiveRow>, empty: &'static str, testid: &'static str) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="hint">{empty}</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="list" data-testid=testid>
                <thead>
                    <tr>
                        <th>"Asked for"</th>
                        <th>"Status"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|r| view! { <ArchiveLine r /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn ArchiveLine(r: ArchiveRow) -> impl IntoView {
    let who = r
        .requested_by
        .clone()
        .map(|n| format!("by {n}"))
        .unwrap_or_else(|| {
            if r.kind == "backup" {
                "daily backup".into()
            } else {
                String::new()
            }
        });
    let status = match r.status.as_str() {
        "queued" | "running" => {
            let text = r.progress();
            let (done, total) = (r.done, r.total.max(1));
            view! {
                <span data-testid="export-progress">
                    <progress max=total value=done></progress>
                    " "
                    <span class="hint">{text}</span>
                </span>
            }
            .into_any()
        }
        "ready" => {
            let mut parts = vec![format!("Ready, {}", r.size.clone().unwrap_or_default())];
            if let Some(p) = r.photos {
                parts.push(crate::model::count(p, "photo", "photos"));
            }
            if let Some(e) = &r.expires {
                parts.push(format!("until {e}"));
            }
            let missing = r.photos_missing.filter(|m| *m > 0);
            view! {
                <span data-testid="export-ready">{parts.join(" · ")}</span>
                {missing
                    .map(|m| {
                        view! {
                            <span class="hint">
                                {format!(
                                    " ({} missing from storage: listed in the manifest)",
                                    crate::model::count(m, "photo file", "photo files"),
                                )}
                            </span>
                        }
                    })}
            }
            .into_any()
        }
        "failed" => view! {
            <span class="error" data-testid="export-failed">
                {r.error.clone().unwrap_or_else(|| "Failed.".into())}
            </span>
        }
        .into_any(),
        _ => view! { <span class="muted">"Expired"</span> }.into_any(),
    };
    let download = (r.status == "ready").then(|| {
        let href = r.download_path();
        view! {
            <a href=href class="button secondary" download="" rel="external">
                "Download"
            </a>
        }
    });
    view! {
        <tr>
            <td>{r.created.clone()} <span class="hint">{format!(" {who}")}</span></td>
            <td>{status}</td>
            <td>{download}</td>
        </tr>
    }
}
