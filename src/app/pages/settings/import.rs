//! Settings → Import: moving in from the old single-installer system. The
//! owner uploads its files, reads the dry run (what is created, merged,
//! skipped and why), confirms, and follows the import's progress (also
//! after a reload) to its verification report, which stays here.

use leptos::prelude::*;
use leptos_meta::Title;

use super::SettingsTabs;
use crate::api::data::{get_import_overview, DiscardImport, StartImport};
use crate::app::components::{action_error, loaded_keeping, successes, FormError};
use crate::app::{On, SiteGate};
use crate::model::export::{ImportOverview, ImportPlanSummary, ImportReport, ImportRow};

#[component]
pub fn ImportPage() -> impl IntoView {
    let start = ServerAction::<StartImport>::new();
    let started = successes(move || start.value().get());
    let discard = ServerAction::<DiscardImport>::new();
    let discarded = successes(move || discard.value().get());
    let tick = RwSignal::new(0u32);
    let info = Resource::new(
        move || (started.get(), discarded.get(), tick.get()),
        |_| get_import_overview(),
    );
    Effect::new(move |_| {
        let busy =
            matches!(info.get(), Some(Ok(ref o)) if o.imports.iter().any(ImportRow::in_progress));
        if busy {
            set_timeout(
                move || tick.update(|t| *t += 1),
                std::time::Duration::from_millis(1500),
            );
        }
    });
    let errors = action_error(move || start.value().get());
    let discard_errors = action_error(move || discard.value().get());
    view! {
        <Title text="Import" />
        <SiteGate on=On::Tenant>
            <div class="page-head">
                <h1>"Settings"</h1>
            </div>
            <SettingsTabs />
            <FormError errors />
            <FormError errors=discard_errors />
            {loaded_keeping(info, move |o| view! { <ImportBody o start discard /> }.into_any())}
        </SiteGate>
    }
}

#[component]
fn ImportBody(
    o: ImportOverview,
    start: ServerAction<StartImport>,
    discard: ServerAction<DiscardImport>,
) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let error = move || query.read().get("error");
    let busy = o.imports.iter().any(ImportRow::in_progress);
    let planned = o.imports.iter().find(|r| r.status == "planned").cloned();
    let done: Vec<ImportRow> = o
        .imports
        .iter()
        .filter(|r| r.status != "planned")
        .cloned()
        .collect();
    view! {
        <section class="card" data-testid="import-upload">
            <h2>"Import from your old system"</h2>
            <p>
                "Bring your customers, properties, pets, quotes, jobs, payments and job photos over from the old single-installer system. Upload a zip of its folder (fence.db and the photos folder beside it), or fence.db and a zip of the photos folder. Nothing is imported until you have read the dry run and confirmed it; importing the same files again adds nothing twice."
            </p>
            <form
                method="post"
                action="/settings/import"
                enctype="multipart/form-data"
                class="stack"
            >
                <div class="field" class:invalid=move || error().is_some()>
                    <label for="f-import-file">
                        "The old system's folder, zipped (or fence.db on its own)"
                    </label>
                    <input
                        id="f-import-file"
                        type="file"
                        name="file"
                        accept=".zip,.db,.sqlite,application/zip"
                        aria-describedby="f-import-hint"
                    />
                    <p class="error" role="alert" data-testid="import-error">
                        {error}
                    </p>
                </div>
                <div class="field">
                    <label for="f-import-photos">
                        "The photos folder, zipped (only when fence.db is uploaded on its own)"
                    </label>
                    <input
                        id="f-import-photos"
                        type="file"
                        name="file"
                        accept=".zip,application/zip"
                    />
                    <p class="hint" id="f-import-hint">
                        "Up to 4 GB in all. The files are checked first: you see what will happen to every row before anything changes."
                    </p>
                </div>
                <button type="submit" disabled=busy>
                    "Upload and check"
                </button>
            </form>
        </section>
        {planned.map(|p| view! { <DryRun p start discard busy /> })}
        <section class="card" data-testid="imports">
            <h2>"Imports"</h2>
            {if done.is_empty() {
                view! { <p class="hint">"No imports yet."</p> }.into_any()
            } else {
                done.into_iter().map(|r| view! { <ImportLine r /> }).collect_view().into_any()
            }}
        </section>
    }
}

/// The counts per old table.
#[component]
fn TablesTable(plan: ImportPlanSummary, here: bool, testid: &'static str) -> impl IntoView {
    let rows = plan
        .tables
        .iter()
        .map(|t| {
            let here_cell = here.then(|| {
                view! {
                    <td class="num" data-label="Here now">
                        {t.here.map(crate::model::thousands).unwrap_or_default()}
                    </td>
                }
            });
            view! {
                <tr>
                    <td>{t.name.clone()}</td>
                    <td class="num" data-label="Old rows">
                        {crate::model::thousands(t.old_rows)}
                    </td>
                    <td class="num" data-label="New">
                        {crate::model::thousands(t.create)}
                    </td>
                    <td class="num" data-label="Merged">
                        {crate::model::thousands(t.merge)}
                    </td>
                    <td class="num" data-label="Skipped">
                        {crate::model::thousands(t.skip)}
                    </td>
                    <td class="num" data-label="Imported before">
                        {crate::model::thousands(t.already)}
                    </td>
                    {here_cell}
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="list counts" data-testid=testid>
                <thead>
                    <tr>
                        <th>"Old table"</th>
                        <th class="num">"Old rows"</th>
                        <th class="num">"New"</th>
                        <th class="num">"Merged"</th>
                        <th class="num">"Skipped"</th>
                        <th class="num">"Imported before"</th>
                        {here.then(|| view! { <th class="num">"Here now"</th> })}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn DryRun(
    p: ImportRow,
    start: ServerAction<StartImport>,
    discard: ServerAction<DiscardImport>,
    busy: bool,
) -> impl IntoView {
    let id = p.id.to_string();
    let id2 = id.clone();
    let csv = p.plan_csv_path();
    let creates: i64 = p.plan.tables.iter().map(|t| t.create + t.merge).sum();
    let shown = p.plan.attention.len() as i64;
    let more = p.plan.attention_total - shown;
    let lines = p
        .plan
        .attention
        .iter()
        .map(|l| {
            view! {
                <tr>
                    <td data-label="Old table">{l.table.clone()}</td>
                    <td data-label="Old id">{l.old_id.clone()}</td>
                    <td data-label="What happens">{action_label(&l.action)}</td>
                    <td data-label="Why">{l.detail.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let settings = p
        .plan
        .settings
        .iter()
        .map(|s| view! { <li>{s.clone()}</li> })
        .collect_view();
    let heading = format!("Dry run of {}", p.file);
    let asked = format!("Checked {}", p.created_at);
    view! {
        <section class="card" data-testid="dry-run">
            <h2>{heading}</h2>
            <p class="hint">{asked}</p>
            <TablesTable plan=p.plan.clone() here=false testid="dry-run-tables" />
            <h3>"Settings"</h3>
            <ul>{settings}</ul>
            <h3>"Rows to look at"</h3>
            {if p.plan.attention_total == 0 {
                view! {
                    <p class="hint">"Every row is imported as it is: nothing merged or skipped."</p>
                }
                    .into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="list" data-testid="dry-run-lines">
                            <thead>
                                <tr>
                                    <th>"Old table"</th>
                                    <th>"Old id"</th>
                                    <th>"What happens"</th>
                                    <th>"Why"</th>
                                </tr>
                            </thead>
                            <tbody>{lines}</tbody>
                        </table>
                    </div>
                    {(more > 0)
                        .then(|| {
                            view! {
                                <p class="hint">
                                    {format!(
                                        "And {} more in the full plan.",
                                        crate::model::thousands(more),
                                    )}
                                </p>
                            }
                        })}
                }
                    .into_any()
            }}
            <p>
                <a href=csv download="" rel="external" data-testid="plan-csv">
                    "Download the full plan (CSV, every row)"
                </a>
            </p>
            <div class="actions">
                <ActionForm action=start>
                    <input type="hidden" name="id" value=id />
                    <button
                        type="submit"
                        data-testid="import-start"
                        disabled=move || busy || start.pending().get()
                    >
                        {move || {
                            if start.pending().get() {
                                "Starting…".to_string()
                            } else {
                                format!("Import {}", crate::model::count(creates, "row", "rows"))
                            }
                        }}
                    </button>
                </ActionForm>
                <ActionForm action=discard>
                    <input type="hidden" name="id" value=id2 />
                    <button
                        type="submit"
                        class="secondary"
                        disabled=move || discard.pending().get()
                    >
                        "Discard"
                    </button>
                </ActionForm>
            </div>
        </section>
    }
}

fn action_label(a: &str) -> &'static str {
    match a {
        "create" => "Imported",
        "merge" => "Merged",
        "already" => "Imported before",
        _ => "Skipped",
    }
}

#[component]
fn ImportLine(r: ImportRow) -> impl IntoView {
    let who = r
        .requested_by
        .clone()
        .map(|n| format!(" by {n}"))
        .unwrap_or_default();
    let head = format!("{}: {}{}", r.created_at, r.file, who);
    let status = match r.status.as_str() {
        "queued" | "running" => {
            let (done, total) = (r.done, r.total.max(1));
            let text = if r.total > 0 {
                format!(
                    "Importing: {} of {} rows",
                    crate::model::thousands(i64::from(r.done)),
                    crate::model::thousands(i64::from(r.total))
                )
            } else {
                "Waiting to start…".into()
            };
            view! {
                <p data-testid="import-progress">
                    <progress max=total value=done></progress>
                    " "
                    <span class="hint">{text}</span>
                </p>
            }
            .into_any()
        }
        "ready" => match r.report.clone() {
            Some(rep) => view! { <Report rep csv=r.plan_csv_path() /> }.into_any(),
            None => view! { <p>"Imported."</p> }.into_any(),
        },
        _ => view! {
            <p class="error" data-testid="import-failed">
                {r.error.clone().unwrap_or_else(|| "The import failed.".into())}
            </p>
        }
        .into_any(),
    };
    view! {
        <div class="import-line">
            <h3>{head}</h3>
            {status}
        </div>
    }
}

/// The verification report.
#[component]
fn Report(rep: ImportReport, csv: String) -> impl IntoView {
    let whole = rep.unexplained.is_empty();
    let plan = ImportPlanSummary {
        tables: rep.tables.clone(),
        ..Default::default()
    };
    let money = rep
        .money
        .iter()
        .map(|m| {
            view! {
                <tr>
                    <td>{m.what.clone()}</td>
                    <td class="num" data-label="Old, all">
                        {format!("${}", m.old_total)}
                    </td>
                    <td class="num" data-label="Old, imported">
                        {format!("${}", m.old_imported)}
                    </td>
                    <td class="num" data-label="Here">
                        {format!("${}", m.here)}
                    </td>
                    <td class="num" data-label="Old, skipped">
                        {format!("${}", m.old_skipped)}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let problems = rep
        .problems
        .iter()
        .map(|p| view! { <li>{p.clone()}</li> })
        .collect_view();
    let unexplained = rep
        .unexplained
        .iter()
        .map(|p| view! { <li>{p.clone()}</li> })
        .collect_view();
    let has_problems = !rep.problems.is_empty();
    let photos = format!(
        "Photos: {} stored files read back, {} match the old files' SHA-256 checksums.",
        crate::model::thousands(rep.photos_checked),
        crate::model::thousands(rep.photos_matching)
    );
    view! {
        <div data-testid="import-report">
            {if whole {
                view! {
                    <p class="banner banner-ok" role="status" data-testid="import-verified">
                        "Verified: every old row is here, merged or skipped for the reason in the plan, and the money and photos match."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <div class="banner banner-warn" role="alert" data-testid="import-unexplained">
                        <p>"Differences nothing in the plan explains:"</p>
                        <ul>{unexplained}</ul>
                    </div>
                }
                    .into_any()
            }} <TablesTable plan here=true testid="report-tables" /> <div class="table-wrap">
                <table class="list counts" data-testid="report-money">
                    <thead>
                        <tr>
                            <th></th>
                            <th class="num">"Old, all"</th>
                            <th class="num">"Old, imported"</th>
                            <th class="num">"Here"</th>
                            <th class="num">"Old, skipped"</th>
                        </tr>
                    </thead>
                    <tbody>{money}</tbody>
                </table>
            </div> <p data-testid="report-photos">{photos}</p>
            {has_problems
                .then(|| {
                    view! {
                        <h4>"Not imported"</h4>
                        <ul>{problems}</ul>
                    }
                })} <p>
                <a href=csv download="" rel="external">
                    "The plan it followed (CSV)"
                </a>
            </p>
        </div>
    }
}
