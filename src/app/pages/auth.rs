//! Logging in, password reset and accepting an invitation, on a tenant's host.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::auth::{
    get_invitation, reset_token_valid, AcceptInvitation, Login, RequestPasswordReset, ResetPassword,
};
use crate::app::components::{action_error, loaded, Field, FormError, Loading, Notice};
use crate::app::{refresh_shell, On, SiteGate};

/// Refreshes the header once an action has logged someone in.
fn refresh_on_success<T: 'static>(
    value: impl Fn() -> Option<Result<T, crate::error::AppError>> + 'static,
) {
    Effect::new(move |_| {
        if matches!(value(), Some(Ok(_))) {
            refresh_shell();
        }
    });
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let errors = action_error(move || action.value().get());
    refresh_on_success(move || action.value().get());
    let query = use_query_map();
    let next = StoredValue::new(
        query
            .read_untracked()
            .get("next")
            .unwrap_or_else(|| "/".into()),
    );
    let notice = Signal::derive(move || {
        let q = query.read();
        if q.get("reset").is_some() {
            Some("Your password was changed. Log in with the new one.".to_string())
        } else if q.get("expired").is_some() {
            Some("That sign-in link has expired. Log in with your email and password.".to_string())
        } else {
            None
        }
    });
    view! {
        <Title text="Log in" />
        <SiteGate on=On::Tenant>
            <section class="narrow card">
                <h1>"Log in"</h1>
                <Notice text=notice />
                <ActionForm action=action attr:class="stack">
                    <FormError errors />
                    <input type="hidden" name="next" value=next.get_value() />
                    <Field
                        label="Email"
                        name="email"
                        key="email"
                        kind="email"
                        errors
                        required=true
                        autocomplete="username"
                        check=|v| crate::model::email(v).err()
                    />
                    <Field
                        label="Password"
                        name="password"
                        key="password"
                        kind="password"
                        errors
                        required=true
                        autocomplete="current-password"
                    />
                    <button type="submit" disabled=move || action.pending().get()>
                        "Log in"
                    </button>
                </ActionForm>
                <p>
                    <a href="/forgot-password">"Forgot your password?"</a>
                </p>
            </section>
        </SiteGate>
    }
}

#[component]
pub fn ForgotPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let errors = action_error(move || action.value().get());
    let sent = Signal::derive(move || action.value().get().and_then(|r| r.ok()));
    view! {
        <Title text="Reset your password" />
        <SiteGate on=On::Tenant>
            <section class="narrow card">
                <h1>"Reset your password"</h1>
                <p>"Enter your email and we'll send you a link to choose a new password."</p>
                <Notice text=sent />
                <ActionForm action=action attr:class="stack">
                    <FormError errors />
                    <Field
                        label="Email"
                        name="email"
                        key="email"
                        kind="email"
                        errors
                        required=true
                        autocomplete="username"
                        check=|v| crate::model::email(v).err()
                    />
                    <button type="submit">"Send reset link"</button>
                </ActionForm>
                <p>
                    <a href="/login">"Back to log in"</a>
                </p>
            </section>
        </SiteGate>
    }
}

#[component]
pub fn ResetPage() -> impl IntoView {
    let query = use_query_map();
    let token = query.read_untracked().get("token").unwrap_or_default();
    let valid = Resource::new(move || token.clone(), reset_token_valid);
    let action = ServerAction::<ResetPassword>::new();
    let errors = action_error(move || action.value().get());
    let token = StoredValue::new(query.read_untracked().get("token").unwrap_or_default());
    view! {
        <Title text="Choose a new password" />
        <SiteGate on=On::Tenant>
            <section class="narrow card">
                <h1>"Choose a new password"</h1>
                {loaded(
                    valid,
                    move |v| match v {
                        true => {
                            view! {
                                <ActionForm action=action attr:class="stack">
                                    <FormError errors />
                                    <input type="hidden" name="token" value=token.get_value() />
                                    <Field
                                        label="New password"
                                        name="password"
                                        key="password"
                                        kind="password"
                                        errors
                                        required=true
                                        autocomplete="new-password"
                                        hint="At least 10 characters."
                                        check=|v| crate::model::password(v).err()
                                    />
                                    <Field
                                        label="Repeat it"
                                        name="confirm"
                                        key="confirm"
                                        kind="password"
                                        errors
                                        required=true
                                        autocomplete="new-password"
                                    />
                                    <button type="submit">"Save password"</button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                        false => {
                            view! {
                                <p>"This reset link has expired or was already used."</p>
                                <a class="button" href="/forgot-password">
                                    "Send a new link"
                                </a>
                            }
                                .into_any()
                        }
                    },
                )}
            </section>
        </SiteGate>
    }
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = params.read_untracked().get("token").unwrap_or_default();
    let info = Resource::new(
        {
            let t = token.clone();
            move || t.clone()
        },
        get_invitation,
    );
    let token = StoredValue::new(token);
    let action = ServerAction::<AcceptInvitation>::new();
    let errors = action_error(move || action.value().get());
    refresh_on_success(move || action.value().get());
    view! {
        <Title text="Join your team" />
        <SiteGate on=On::Tenant>
            <section class="narrow card">
                <Suspense fallback=Loading>
                    {move || Suspend::new(async move {
                        match info.await {
                            Ok(i) => {
                                view! {
                                    <h1>{format!("Join {}", i.company_name)}</h1>
                                    <p>
                                        {format!(
                                            "You're invited as {} ({}). Choose your name and password to accept.",
                                            i.role.label(),
                                            i.email,
                                        )}
                                    </p>
                                    <ActionForm action=action attr:class="stack">
                                        <FormError errors />
                                        <input type="hidden" name="token" value=token.get_value() />
                                        <Field
                                            label="Your name"
                                            name="name"
                                            key="name"
                                            errors
                                            required=true
                                            autocomplete="name"
                                            check=|v| {
                                                crate::model::required_text(v, "Your name", 100).err()
                                            }
                                        />
                                        <Field
                                            label="Password"
                                            name="password"
                                            key="password"
                                            kind="password"
                                            errors
                                            required=true
                                            autocomplete="new-password"
                                            hint="At least 10 characters."
                                            check=|v| crate::model::password(v).err()
                                        />
                                        <Field
                                            label="Repeat password"
                                            name="confirm"
                                            key="confirm"
                                            kind="password"
                                            errors
                                            required=true
                                            autocomplete="new-password"
                                        />
                                        <button type="submit">"Accept and join"</button>
                                    </ActionForm>
                                }
                                    .into_any()
                            }
                            Err(_) => {
                                view! {
                                    <h1>"This invitation can't be used"</h1>
                                    <p>
                                        "It has expired, was withdrawn, or was already accepted. Ask the person who invited you to send a new one."
                                    </p>
                                    <a class="button" href="/login">
                                        "Go to log in"
                                    </a>
                                }
                                    .into_any()
                            }
                        }
                    })}
                </Suspense>
            </section>
        </SiteGate>
    }
}
