//! Settings → Data: export everything on demand (CSV files and one SQLite
//! file with the photos, in a zip), and the daily cloud backups of Growth
//! and Enterprise workspaces. An export is built in the background; the
//! page follows its progress (also after a reload) until it can be
//! downloaded.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::SettingsTabs;
use crate::api::data::{get_data_overview, restore_preview, StartExport, StartRestore};
use crate::app::components::{action_error, loaded_keeping, successes, FormError};
use crate::app::{On, SiteGate};
use crate::model::export::{ArchiveRow, DataOverview, RestorePreview, EXPORT_KEEP_DAYS};

#[component]
pub fn DataPage() -> impl IntoView {
    let start = ServerAction::<StartExport>::new();
    let started = successes(move || start.value().get());
    let restore = ServerAction::<StartRestore>::new();
    let restored = successes(move || restore.value().get());
    // The archive whose restore is being confirmed.
    let chosen = RwSignal::new(None::<uuid::Uuid>);
    Effect::new(move |_| {
        if restored.get() > 0 {
            chosen.set(None);
        }
    });
    // Bumped every 1.5 s while an archive is being built.
    let tick = RwSignal::new(0u32);
    let info = Resource::new(
        move || (started.get(), restored.get(), tick.get()),
        |_| get_data_overview(),
    );
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
            {loaded_keeping(
                info,
                move |o| view! { <DataBody o start restore chosen /> }.into_any(),
            )}
        </SiteGate>
    }
}

#[component]
fn DataBody(
    o: DataOverview,
    start: ServerAction<StartExport>,
    restore: ServerAction<StartRestore>,
    chosen: RwSignal<Option<uuid::Uuid>>,
) -> impl IntoView {
    let busy = o.exports.iter().any(ArchiveRow::in_progress);
    let disabled = move || busy || start.pending().get();
    let backups = o.backups.clone();
    let keep = o.backup_keep_days;
    let pick = o.can_restore.then_some(chosen);
    let restoring = o.restores.iter().any(ArchiveRow::in_progress);
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
                <ArchiveTable
                    rows=o.exports.clone()
                    empty="No exports yet."
                    testid="exports"
                    pick
                    restoring
                />
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
                            pick
                            restoring
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
        {move || { chosen.get().map(|id| view! { <ConfirmRestore id restore chosen /> }) }}
        {o.can_restore.then(|| view! { <RestoreCard rows=o.restores.clone() restoring /> })}
    }
}

/// The confirmation before a restore from one of the listed archives: what
/// it replaces (now against the archive) and the word to type.
#[component]
fn ConfirmRestore(
    id: uuid::Uuid,
    restore: ServerAction<StartRestore>,
    chosen: RwSignal<Option<uuid::Uuid>>,
) -> impl IntoView {
    let preview = Resource::new(move || id, restore_preview);
    let errors = action_error(move || restore.value().get());
    // The panel opens below the lists: its field takes the focus (and so
    // comes into view).
    let field = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = field.get() {
            let _ = el.focus();
        }
    });
    let body = move |p: RestorePreview| {
        let lines = p
            .lines
            .iter()
            .map(|l| {
                let archive = l
                    .archive
                    .map(crate::model::thousands)
                    .unwrap_or_else(|| "—".into());
                view! {
                    <tr>
                        <td>{l.what.clone()}</td>
                        <td class="num" data-label="Now">
                            {crate::model::thousands(l.now)}
                        </td>
                        <td class="num" data-label="In the archive">
                            {archive}
                        </td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <h2>{format!("Restore {}?", p.source)}</h2>
            <p>
                "Everything below is replaced by what it was then. Whatever was added or changed since is lost; download an export first if you may need it."
            </p>
            <div class="table-wrap">
                <table class="list" data-testid="restore-preview">
                    <thead>
                        <tr>
                            <th></th>
                            <th class="num">"Now"</th>
                            <th class="num">"In the archive"</th>
                        </tr>
                    </thead>
                    <tbody>{lines}</tbody>
                </table>
            </div>
            <p class="hint">
                "Also replaced: the price book and the company details (name, phone, email, colour, home state, markup, time zone). Kept as they are: your team and their logins, the plan and invoices, texts sent, numbers that replied STOP, and the activity log."
            </p>
            <ActionForm action=restore attr:class="stack">
                <FormError errors />
                <input type="hidden" name="id" value=p.id.to_string() />
                <div class="field">
                    <label for="f-confirm">"Type RESTORE to confirm"</label>
                    <input
                        node_ref=field
                        id="f-confirm"
                        name="confirm"
                        autocomplete="off"
                        required
                        pattern="[Rr][Ee][Ss][Tt][Oo][Rr][Ee]"
                    />
                </div>
                <div class="actions">
                    <button type="submit" class="danger" disabled=move || restore.pending().get()>
                        {move || {
                            if restore.pending().get() {
                                "Starting…"
                            } else {
                                "Replace everything with this archive"
                            }
                        }}
                    </button>
                    <button type="button" class="secondary" on:click=move |_| chosen.set(None)>
                        "Cancel"
                    </button>
                </div>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <section class="card restore-confirm" data-testid="restore-confirm">
            {loaded_keeping(preview, body)}
        </section>
    }
}

/// Owners: the latest restores, and a restore from an archive file.
#[component]
fn RestoreCard(rows: Vec<ArchiveRow>, restoring: bool) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let error = move || query.read().get("restore_error");
    let queued = move || query.read().get("restore").is_some_and(|v| v == "queued");
    view! {
        <section class="card" data-testid="restore">
            <h2>"Restore"</h2>
            <p>
                "Put the workspace back as it was in one of the archives above (choose Restore on its line), or in an export file, from this installation or another. The restore runs in the background, all at once: until it has finished, nothing changes."
            </p>
            {move || {
                queued()
                    .then(|| {
                        view! {
                            <p class="banner banner-ok" role="status">
                                "The file was checked and the restore is queued: follow it below."
                            </p>
                        }
                    })
            }}
            <ArchiveTable
                rows=rows
                empty="No restores yet."
                testid="restore-list"
                pick=None
                restoring
            />
            <form
                method="post"
                action="/settings/data/restore"
                enctype="multipart/form-data"
                class="stack restore-upload"
            >
                <div class="field" class:invalid=move || error().is_some()>
                    <label for="f-archive">"Restore from an export file"</label>
                    <input
                        id="f-archive"
                        type="file"
                        name="archive"
                        accept=".zip,application/zip"
                    />
                    <p class="hint">
                        "The .zip file of an export (up to 2 GB). Everything listed above as replaced is replaced by the file's contents."
                    </p>
                    <p class="error" role="alert" data-testid="restore-error">
                        {error}
                    </p>
                </div>
                <div class="field">
                    <label for="f-upload-confirm">"Type RESTORE to confirm"</label>
                    <input id="f-upload-confirm" name="confirm" autocomplete="off" />
                </div>
                <button type="submit" class="danger" disabled=restoring>
                    "Upload and restore"
                </button>
            </form>
        </section>
    }
}

#[component]
fn ArchiveTable(
    rows: Vec<ArchiveRow>,
    empty: &'static str,
    testid: &'static str,
    /// Owners: where a line's Restore button puts its archive.
    pick: Option<RwSignal<Option<uuid::Uuid>>>,
    /// A restore is under way (no other can start).
    restoring: bool,
) -> impl IntoView {
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
                    {rows
                        .into_iter()
                        .map(|r| view! { <ArchiveLine r pick restoring /> })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn ArchiveLine(
    r: ArchiveRow,
    pick: Option<RwSignal<Option<uuid::Uuid>>>,
    restoring: bool,
) -> impl IntoView {
    let mut about = Vec::new();
    if let Some(source) = r.source.as_ref().filter(|_| r.kind == "restore") {
        about.push(format!("from {source}"));
    }
    match &r.requested_by {
        Some(n) => about.push(format!("by {n}")),
        None if r.kind == "backup" => about.push("daily backup".into()),
        None => {}
    }
    let who = about.join(", ");
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
        "ready" if r.kind == "restore" => view! {
            <span data-testid="restore-done">
                {r.report.clone().unwrap_or_else(|| "Restored.".into())}
            </span>
        }
        .into_any(),
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
    let archive = r.status == "ready" && r.kind != "restore";
    let download = archive.then(|| {
        let href = r.download_path();
        view! {
            <a href=href class="button secondary" download="" rel="external">
                "Download"
            </a>
        }
    });
    let id = r.id;
    let restore = pick.filter(|_| archive).map(|chosen| {
        view! {
            <button
                type="button"
                class="secondary"
                data-testid="restore-button"
                disabled=restoring
                on:click=move |_| chosen.set(Some(id))
            >
                "Restore…"
            </button>
        }
    });
    view! {
        <tr>
            <td data-label="Asked for">
                {r.created.clone()} <span class="hint">{format!(" {who}")}</span>
            </td>
            <td data-label="Status">{status}</td>
            <td>
                <div class="actions">{download} {restore}</div>
            </td>
        </tr>
    }
}
