//! The team: members and their roles, open invitations, and inviting.

use leptos::prelude::*;
use leptos_meta::Title;

use super::SettingsTabs;
use crate::api::team::{
    get_team, ChangeRole, InviteMember, RemoveMember, ResendInvitation, RevokeInvitation,
};
use crate::app::components::{
    action_error, loaded_keeping, successes, DeliveryNote, Field, FormError, Notice, SelectField,
};
use crate::app::{On, SiteGate};
use crate::model::Role;

fn role_options() -> Vec<(String, String)> {
    Role::INVITABLE
        .iter()
        .map(|r| {
            (
                r.as_str().to_string(),
                format!("{} — {}", r.label(), r.describe()),
            )
        })
        .collect()
}

/// The invitation form (also the wizard's team step).
#[component]
pub fn InviteForm(action: ServerAction<InviteMember>, wizard: bool) -> impl IntoView {
    let errors = action_error(move || action.value().get());
    let sent = Signal::derive(move || action.value().get().and_then(|r| r.ok()));
    let done = successes(move || action.value().get());
    view! {
        <ActionForm action=action attr:class="stack invite-form">
            <FormError errors />
            <Notice text=sent />
            {wizard.then(|| view! { <input type="hidden" name="wizard" value="1" /> })}
            // Re-created after each invitation sent: the fields start empty
            // for the next one.
            {move || {
                done.track();
                view! {
                    <div class="row2">
                        <Field
                            label="Email"
                            name="email"
                            key="email"
                            kind="email"
                            errors
                            required=true
                            check=|v| crate::model::email(v).err()
                        />
                        <SelectField
                            label="Role"
                            name="role"
                            key="role"
                            errors
                            required=true
                            value="crew"
                            options=role_options()
                        />
                    </div>
                }
            }}
            <button type="submit" disabled=move || action.pending().get()>
                "Send invitation"
            </button>
        </ActionForm>
    }
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let invite = ServerAction::<InviteMember>::new();
    let invite_done = successes(move || invite.value().get());
    let role = ServerAction::<ChangeRole>::new();
    let role_done = successes(move || role.value().get());
    let remove = ServerAction::<RemoveMember>::new();
    let remove_done = successes(move || remove.value().get());
    let resend = ServerAction::<ResendInvitation>::new();
    let resend_done = successes(move || resend.value().get());
    let revoke = ServerAction::<RevokeInvitation>::new();
    let revoke_done = successes(move || revoke.value().get());
    let team = Resource::new(
        move || {
            (
                invite_done.get(),
                role_done.get(),
                remove_done.get(),
                resend_done.get(),
                revoke_done.get(),
            )
        },
        |_| get_team(),
    );
    let errors = Signal::derive(move || {
        [
            action_error(move || role.value().get()).get(),
            action_error(move || remove.value().get()).get(),
            action_error(move || resend.value().get()).get(),
            action_error(move || revoke.value().get()).get(),
        ]
        .into_iter()
        .flatten()
        .next()
    });
    let resent = Signal::derive(move || resend.value().get().and_then(|r| r.ok()));
    view! {
        <Title text="Team" />
        <SiteGate on=On::Tenant>
            <div class="page-head">
                <h1>"Settings"</h1>
            </div>
            <SettingsTabs />
            <FormError errors />
            <Notice text=resent />
            {loaded_keeping(
                team,
                move |t| {
                    let used = t.members.len()
                        + t.invitations.iter().filter(|i| !i.expired).count();
                    let seats = match t.seats {
                        Some(s) => format!("{used} of {s} seats used on the {} plan.", t.plan_name),
                        None => {
                            format!(
                                "{used} seats used; the {} plan has unlimited users.",
                                t.plan_name,
                            )
                        }
                    };
                    view! {
                        <section class="card">
                            <h2>"Members"</h2>
                            <p class="muted">{seats}</p>
                            <ul class="rows members">
                                {t
                                    .members
                                    .into_iter()
                                    .map(|m| {
                                        let is_owner = m.role == Role::Owner;
                                        let new_role = format!("New role for {}", m.name);
                                        let remove_q = format!(
                                            "Remove {}? They lose access at once; what they did stays in the history.",
                                            m.name,
                                        );
                                        let remove_btn = format!("Remove {}", m.name);
                                        view! {
                                            <li>
                                                <div>
                                                    <strong>{m.name.clone()}</strong>
                                                    <br />
                                                    <span class="muted">{m.email.clone()}</span>
                                                </div>
                                                {if is_owner {
                                                    view! { <span class="pill">"Owner"</span> }.into_any()
                                                } else {
                                                    view! {
                                                        <div class="member-actions">
                                                            <details class="confirm">
                                                                <summary class="button small secondary">
                                                                    "Change role…"
                                                                </summary>
                                                                <ActionForm action=role attr:class="stack">
                                                                    <input
                                                                        type="hidden"
                                                                        name="user_id"
                                                                        value=m.id.to_string()
                                                                    />
                                                                    <label for=format!(
                                                                        "role-{}",
                                                                        m.id,
                                                                    )>{new_role.clone()}</label>
                                                                    <select id=format!("role-{}", m.id) name="role">
                                                                        {Role::INVITABLE
                                                                            .iter()
                                                                            .map(|r| {
                                                                                view! {
                                                                                    <option value=r.as_str() selected=*r == m.role>
                                                                                        {format!("{} — {}", r.label(), r.describe())}
                                                                                    </option>
                                                                                }
                                                                            })
                                                                            .collect_view()}
                                                                    </select>
                                                                    <p class="hint">
                                                                        "They are signed out everywhere and sign in again with the new role."
                                                                    </p>
                                                                    <button type="submit" class="small">
                                                                        "Confirm role change"
                                                                    </button>
                                                                </ActionForm>
                                                            </details>
                                                            <details class="confirm">
                                                                <summary class="button small danger">"Remove…"</summary>
                                                                <ActionForm action=remove attr:class="stack">
                                                                    <input
                                                                        type="hidden"
                                                                        name="user_id"
                                                                        value=m.id.to_string()
                                                                    />
                                                                    <p>{remove_q.clone()}</p>
                                                                    <button type="submit" class="small danger">
                                                                        {remove_btn.clone()}
                                                                    </button>
                                                                </ActionForm>
                                                            </details>
                                                        </div>
                                                    }
                                                        .into_any()
                                                }}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </section>
                        {(!t.invitations.is_empty())
                            .then(|| {
                                view! {
                                    <section class="card">
                                        <h2>"Invitations"</h2>
                                        <ul class="rows">
                                            {t
                                                .invitations
                                                .into_iter()
                                                .map(|i| {
                                                    let delivery = i.delivery.clone();
                                                    view! {
                                                        <li>
                                                            <div>
                                                                <strong>{i.email.clone()}</strong>
                                                                " · "
                                                                {i.role.label()}
                                                                <br />
                                                                <span class="muted">
                                                                    {if i.expired {
                                                                        "Expired".to_string()
                                                                    } else {
                                                                        format!("Expires {}", crate::app::local_date(i.expires_at))
                                                                    }}
                                                                </span>
                                                                {delivery.map(|d| view! { <DeliveryNote delivery=d /> })}
                                                            </div>
                                                            <div class="member-actions">
                                                                <ActionForm action=resend attr:class="inline">
                                                                    <input type="hidden" name="id" value=i.id.to_string() />
                                                                    <button type="submit" class="small secondary">
                                                                        "Resend"
                                                                    </button>
                                                                </ActionForm>
                                                                <ActionForm action=revoke attr:class="inline">
                                                                    <input type="hidden" name="id" value=i.id.to_string() />
                                                                    <button type="submit" class="small danger">
                                                                        "Withdraw"
                                                                    </button>
                                                                </ActionForm>
                                                            </div>
                                                        </li>
                                                    }
                                                })
                                                .collect_view()}
                                        </ul>
                                    </section>
                                }
                            })}
                    }
                        .into_any()
                },
            )}
            <section class="card">
                <h2>"Invite someone"</h2>
                <InviteForm action=invite wizard=false />
            </section>
        </SiteGate>
    }
}
