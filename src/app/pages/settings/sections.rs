//! Settings sections: company details, branding (colour and logo) and the
//! home pricing zone. With `wizard`, each also completes its wizard step.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::settings::{SetWhiteLabel, UpdateBrandColor, UpdateCompany, UpdatePricing};
use crate::app::components::{
    action_error, field_error, state_options, Field, FormError, Notice, SelectField,
};
use crate::app::{brand_restorer, preview_brand, refresh_shell};
use crate::model::OrgSettings;

/// "Saved." after a successful save.
fn saved<T: 'static>(
    value: impl Fn() -> Option<Result<T, crate::error::AppError>> + Send + Sync + 'static,
) -> Signal<Option<String>> {
    Signal::derive(move || matches!(value(), Some(Ok(_))).then(|| "Saved.".to_string()))
}

/// The time zone choices: automatic (the home state's), then each zone.
fn zone_options(home_state: Option<&str>) -> Vec<(String, String)> {
    use crate::model::time::{zone_for_state, ZONES};
    let auto = match home_state {
        Some(s) => {
            let z = zone_for_state(s);
            let name = ZONES.iter().find(|(k, _)| *k == z).map_or(z, |(_, n)| *n);
            format!(
                "Automatic: {name} (from {})",
                crate::model::state_name(s).unwrap_or(s)
            )
        }
        None => "Automatic (from your home state)".to_string(),
    };
    std::iter::once((String::new(), auto))
        .chain(
            ZONES
                .iter()
                .map(|(z, n)| (z.to_string(), format!("{n} ({z})"))),
        )
        .collect()
}

fn wizard_input(wizard: bool) -> impl IntoView {
    wizard.then(|| view! { <input type="hidden" name="wizard" value="1" /> })
}

#[component]
pub fn CompanySection(settings: OrgSettings, wizard: bool) -> impl IntoView {
    let action = ServerAction::<UpdateCompany>::new();
    let errors = action_error(move || action.value().get());
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(()))) {
            refresh_shell();
        }
    });
    view! {
        <section class="card">
            <h2>"Company details"</h2>
            <ActionForm action=action attr:class="stack">
                <FormError errors />
                <Notice text=saved(move || action.value().get()) />
                {wizard_input(wizard)}
                <Field
                    label="Company name"
                    name="form[company_name]"
                    key="company_name"
                    value=settings.company_name
                    errors
                    required=true
                    check=|v| crate::model::required_text(v, "Company name", 120).err()
                />
                <Field
                    label="Support email"
                    name="form[support_email]"
                    key="support_email"
                    kind="email"
                    value=settings.support_email.unwrap_or_default()
                    errors
                    hint="Shown to customers on quotes and emails."
                    check=|v| crate::model::optional_email(v).err()
                />
                <Field
                    label="Phone"
                    name="form[phone]"
                    key="phone"
                    kind="tel"
                    value=settings.phone.unwrap_or_default()
                    errors
                    placeholder="(555) 123-4567"
                    check=|v| crate::model::optional_phone(v).err()
                />
                <SelectField
                    label="Time zone"
                    name="form[time_zone]"
                    key="time_zone"
                    errors
                    value=if settings.time_zone_chosen {
                        settings.time_zone.clone()
                    } else {
                        String::new()
                    }
                    options=zone_options(settings.home_state.as_deref())
                    hint="Every time in the app, on quotes and in messages is shown in it."
                />
                <button type="submit">
                    {if wizard { "Save and continue" } else { "Save company details" }}
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn BrandingSection(settings: OrgSettings, wizard: bool) -> impl IntoView {
    let action = ServerAction::<UpdateBrandColor>::new();
    let errors = action_error(move || action.value().get());
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(()))) {
            refresh_shell();
        }
    });
    let color = RwSignal::new(settings.brand_color.clone());
    // The whole app previews the colour as it is picked; leaving without
    // saving paints it back in the saved one.
    on_cleanup(brand_restorer());
    let query = use_query_map();
    let logo_error = move || query.read().get("logo_error");
    let next = if wizard {
        "/onboarding?step=branding"
    } else {
        "/settings"
    };
    let color_err = field_error(errors, "brand_color");
    view! {
        <section class="card">
            <h2>"Branding"</h2>
            <p class="muted">
                "Your colour and logo appear on every page your team and customers see."
            </p>
            <ActionForm action=action attr:class="stack">
                <FormError errors />
                <Notice text=saved(move || action.value().get()) />
                {wizard_input(wizard)}
                <div class="field" class:invalid=move || color_err.get().is_some()>
                    <label for="f-brand_color">"Brand colour"</label>
                    <div class="color-row">
                        <input
                            id="f-brand_color"
                            type="color"
                            name="brand_color"
                            value=color.get_untracked()
                            on:input=move |ev| {
                                let c = event_target_value(&ev);
                                preview_brand(&c);
                                color.set(c);
                            }
                        />
                        <code>{move || color.get()}</code>
                        <span
                            class="swatch-preview"
                            style=move || format!("background:{}", color.get())
                        >
                            "Preview"
                        </span>
                    </div>
                    <p class="error" role="alert">
                        {move || color_err.get()}
                    </p>
                </div>
                <button type="submit">
                    {if wizard { "Save colour and continue" } else { "Save colour" }}
                </button>
            </ActionForm>
            <form
                method="post"
                action="/settings/logo"
                enctype="multipart/form-data"
                class="stack logo-form"
            >
                <input type="hidden" name="next" value=next />
                <div class="field" class:invalid=move || logo_error().is_some()>
                    <label for="f-logo">"Logo"</label>
                    {(settings.logo_version > 0)
                        .then(|| {
                            view! {
                                <img
                                    class="logo-preview"
                                    src=format!("/brand/logo?v={}", settings.logo_version)
                                    alt="Current logo"
                                />
                            }
                        })}
                    <input
                        id="f-logo"
                        type="file"
                        name="logo"
                        accept="image/png,image/jpeg,image/webp"
                    />
                    <p class="hint">
                        "PNG, JPEG or WebP, up to 512 KB. A square or wide image works best."
                    </p>
                    <p class="error" role="alert">
                        {logo_error}
                    </p>
                </div>
                <button type="submit" class="secondary">
                    "Upload logo"
                </button>
            </form>
        </section>
    }
}

#[component]
pub fn PricingSection(settings: OrgSettings, wizard: bool) -> impl IntoView {
    let action = ServerAction::<UpdatePricing>::new();
    let errors = action_error(move || action.value().get());
    let zone = settings
        .zone_multiplier
        .clone()
        .map(|m| format!("The zone multiplier for your home state is {m}."));
    view! {
        <section class="card">
            <h2>"Pricing zone"</h2>
            <p class="muted">
                "Prices are your catalogue price times the zone multiplier of the property's state (BEA regional price parities). "
                "A custom markup replaces the zone multiplier."
            </p>
            <ActionForm action=action attr:class="stack">
                <FormError errors />
                <Notice text=saved(move || action.value().get()) />
                {wizard_input(wizard)}
                <SelectField
                    label="Home state"
                    name="home_state"
                    key="home_state"
                    errors
                    required=true
                    value=settings.home_state.unwrap_or_default()
                    options=state_options()
                    placeholder="Choose your state…"
                    hint="The default zone for new properties."
                />
                {zone.map(|z| view! { <p class="hint">{z}</p> })}
                <Field
                    label="Custom markup (optional)"
                    name="custom_markup"
                    key="custom_markup"
                    value=settings.custom_markup.unwrap_or_default()
                    errors
                    placeholder="e.g. 1.15"
                    hint="A multiplier between 0.5 and 3. Leave empty to use each state's zone multiplier."
                    check=|v| crate::model::optional_markup(v).err()
                />
                <button type="submit">
                    {if wizard { "Save and continue" } else { "Save pricing" }}
                </button>
            </ActionForm>
        </section>
    }
}

/// White-labelling (Enterprise): hide the platform's branding everywhere
/// the team and customers look, and set the browser-tab icon.
#[component]
pub fn WhiteLabelSection(settings: OrgSettings) -> impl IntoView {
    let action = ServerAction::<SetWhiteLabel>::new();
    let errors = action_error(move || action.value().get());
    let hidden = RwSignal::new(settings.hide_platform_brand);
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(()))) {
            hidden.update(|h| *h = !*h);
            refresh_shell();
        }
    });
    let query = use_query_map();
    let favicon_error = move || query.read().get("favicon_error");
    if !settings.white_label_allowed {
        return view! {
            <section class="card">
                <h2>"White-label"</h2>
                <p class="muted">
                    "On the Enterprise plan your pages, emails and browser tab carry only your brand, and you word your customers' emails yourself. "
                    <a href="/settings/billing">"See plans"</a>
                </p>
            </section>
        }
            .into_any();
    }
    view! {
        <section class="card" data-testid="white-label">
            <h2>"White-label"</h2>
            <FormError errors />
            <p>
                {move || {
                    if hidden.get() {
                        "Only your brand shows: no platform name, logo or link on your pages, your customers' pages or your emails."
                    } else {
                        "Your pages and emails mention the platform they run on."
                    }
                }}
            </p>
            <ActionForm action=action attr:class="inline">
                <input type="hidden" name="hide" value=move || (!hidden.get()).to_string() />
                <button type="submit" class="secondary">
                    {move || {
                        if hidden.get() {
                            "Show platform branding"
                        } else {
                            "Hide platform branding"
                        }
                    }}
                </button>
            </ActionForm>
            <form
                method="post"
                action="/settings/favicon"
                enctype="multipart/form-data"
                class="stack logo-form"
            >
                <div class="field" class:invalid=move || favicon_error().is_some()>
                    <label for="f-favicon">"Browser-tab icon"</label>
                    {(settings.favicon_version > 0)
                        .then(|| {
                            view! {
                                <img
                                    class="favicon-preview"
                                    src=format!("/brand/favicon?v={}", settings.favicon_version)
                                    alt="Current icon"
                                    width="32"
                                    height="32"
                                />
                            }
                        })}
                    <input id="f-favicon" type="file" name="favicon" accept="image/png,.ico" />
                    <p class="hint">"A square PNG or ICO file, up to 64 KB."</p>
                    <p class="error" role="alert">
                        {favicon_error}
                    </p>
                </div>
                <button type="submit" class="secondary">
                    "Upload icon"
                </button>
            </form>
        </section>
    }
        .into_any()
}
