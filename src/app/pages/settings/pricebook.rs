//! Settings → Price book: every unit price, cost, rate and the per-zone
//! multipliers the quotes use.

use leptos::prelude::*;
use leptos_meta::Title;

use super::SettingsTabs;
use crate::api::pricebook::{get_price_book, SavePriceBook, SaveZoneOverrides};
use crate::app::components::{action_error, loaded, successes, FormError, Notice};
use crate::app::{On, SiteGate};
use crate::error::AppError;
use crate::model::catalogue::CATALOGUE_FIELDS;

#[component]
pub fn PriceBookPage() -> impl IntoView {
    let save = ServerAction::<SavePriceBook>::new();
    let save_done = successes(move || save.value().get());
    let zones = ServerAction::<SaveZoneOverrides>::new();
    let zones_done = successes(move || zones.value().get());
    let errors = action_error(move || save.value().get());
    let zone_errors = action_error(move || zones.value().get());
    let book = Resource::new(
        move || (save_done.get(), zones_done.get()),
        |_| get_price_book(),
    );
    let saved = Signal::derive(move || {
        save.value()
            .get()
            .and_then(|r| r.ok())
            .map(|_| "Price book saved. New and edited quotes use it.".to_string())
    });
    let zones_saved = Signal::derive(move || {
        zones
            .value()
            .get()
            .and_then(|r| r.ok())
            .map(|_| "Zone multipliers saved.".to_string())
    });
    let msg = |errs: Signal<Option<AppError>>, key: &str| field_msg(errs, key.to_string());
    view! {
        <Title text="Price book" />
        <SiteGate on=On::Tenant>
            <div class="page-head">
                <h1>"Settings"</h1>
            </div>
            <SettingsTabs />
            {loaded(
                book,
                move |b| {
                    let mut groups: Vec<&'static str> = Vec::new();
                    for f in CATALOGUE_FIELDS {
                        if !groups.contains(&f.group) {
                            groups.push(f.group)
                        }
                    }
                    let form = StoredValue::new(b.form.clone());
                    view! {
                        <section class="card">
                            <h2>"Price book"</h2>
                            <p class="muted">
                                "Prices are before the zone multiplier; costs are what you pay, for the margin figures. "
                                {b
                                    .custom_markup
                                    .clone()
                                    .map(|m| {
                                        format!(
                                            "Your overall markup × {m} replaces the zone multipliers (Settings → Company).",
                                        )
                                    })}
                            </p>
                            <Notice text=saved />
                            <ActionForm action=save attr:class="stack">
                                <FormError errors />
                                {groups
                                    .into_iter()
                                    .map(|g| {
                                        view! {
                                            <fieldset>
                                                <legend>{g}</legend>
                                                <div class="grid-fields">
                                                    {CATALOGUE_FIELDS
                                                        .iter()
                                                        .filter(|f| f.group == g)
                                                        .map(|f| {
                                                            let id = format!("pb-{}", f.key);
                                                            view! {
                                                                <div
                                                                    class="field"
                                                                    class:invalid=move || msg(errors, f.key)().is_some()
                                                                >
                                                                    <label for=id
                                                                        .clone()>{format!("{} ({})", f.label, f.unit)}</label>
                                                                    <input
                                                                        id=id
                                                                        name=format!("form[{}]", f.key)
                                                                        inputmode="decimal"
                                                                        value=form
                                                                            .with_value(|m| m.get(f.key).cloned().unwrap_or_default())
                                                                    />
                                                                    <p class="error" role="alert">
                                                                        {msg(errors, f.key)}
                                                                    </p>
                                                                </div>
                                                            }
                                                        })
                                                        .collect_view()}
                                                </div>
                                            </fieldset>
                                        }
                                    })
                                    .collect_view()}
                                <fieldset>
                                    <legend>"Depot (for travel cost)"</legend>
                                    <p class="hint">
                                        "Where your crews start from. Give its ZIP code and we place it at the ZIP's centre, or type its coordinates from a map (e.g. 30.2672, -97.7431). Without a depot, quotes leave travel out and say so."
                                    </p>
                                    <div class="grid-fields">
                                        {depot_field(
                                            "depot_zip",
                                            "ZIP code",
                                            "numeric",
                                            form,
                                            errors,
                                        )}
                                        {depot_field(
                                            "depot_lat",
                                            "Latitude",
                                            "decimal",
                                            form,
                                            errors,
                                        )}
                                        {depot_field(
                                            "depot_lon",
                                            "Longitude",
                                            "decimal",
                                            form,
                                            errors,
                                        )}
                                    </div>
                                </fieldset>
                                <div class="actions">
                                    <button type="submit" disabled=move || save.pending().get()>
                                        "Save price book"
                                    </button>
                                </div>
                            </ActionForm>
                        </section>
                        <section class="card">
                            <h2>"Zone multipliers"</h2>
                            <p class="muted">
                                "The platform's zones follow each state's price level (BEA regional price parities, 2024). Enter your own multiplier for a zone to override it; leave blank for the default."
                            </p>
                            <Notice text=zones_saved />
                            <ActionForm action=zones attr:class="stack">
                                <FormError errors=zone_errors />
                                <div class="zones">
                                    {b
                                        .zones
                                        .iter()
                                        .map(|(code, name, base, over)| {
                                            let key = format!("zone_{code}");
                                            view! {
                                                <div
                                                    class="field zone"
                                                    class:invalid=move || msg(zone_errors, &key)().is_some()
                                                >
                                                    <label for=key
                                                        .clone()>{format!("{name} (× {base})")}</label>
                                                    <input
                                                        id=key.clone()
                                                        name=format!("zones[{code}]")
                                                        inputmode="decimal"
                                                        placeholder=base.to_string()
                                                        value=over.map(|o| o.to_string()).unwrap_or_default()
                                                    />
                                                    <p class="error" role="alert">
                                                        {msg(zone_errors, &key)}
                                                    </p>
                                                </div>
                                            }
                                        })
                                        .collect_view()}
                                </div>
                                <div class="actions">
                                    <button type="submit" disabled=move || zones.pending().get()>
                                        "Save zone multipliers"
                                    </button>
                                </div>
                            </ActionForm>
                        </section>
                    }
                        .into_any()
                },
            )}
        </SiteGate>
    }
}

/// One of the depot's fields (ZIP code, latitude, longitude).
fn depot_field(
    key: &'static str,
    label: &'static str,
    inputmode: &'static str,
    form: StoredValue<std::collections::BTreeMap<String, String>>,
    errors: Signal<Option<AppError>>,
) -> impl IntoView {
    let msg = field_msg(errors, key.to_string());
    let invalid = msg.clone();
    let id = format!("pb-{key}");
    view! {
        <div class="field" class:invalid=move || invalid().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=format!("form[{key}]")
                inputmode=inputmode
                autocomplete=(key == "depot_zip").then_some("postal-code")
                value=form.with_value(|m| m.get(key).cloned().unwrap_or_default())
            />
            <p class="error" role="alert">
                {msg}
            </p>
        </div>
    }
}

fn field_msg(
    errs: Signal<Option<AppError>>,
    key: String,
) -> impl Fn() -> Option<String> + Clone + Send + Sync + 'static {
    move || {
        errs.get()
            .and_then(|e| e.fields().and_then(|f| f.get(&key).map(str::to_string)))
    }
}
