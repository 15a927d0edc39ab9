//! The quote's actions (save, send, approve the discount, create the job)
//! and the banners that report what happened and where the quote stands.

use leptos::prelude::*;
use leptos_router::components::A;

use super::{Editor, QuoteActions, Saved};
use crate::api::quotes::{ManagerApprove, SendQuote};
use crate::app::components::{action_error, CopyButton, DeliveryNote, FormError};
use crate::model::{QuoteDetail, QuoteStatus};

#[component]
pub fn Actions(
    q: QuoteDetail,
    ed: Editor,
    actions: QuoteActions,
    save: Callback<()>,
    saved_msg: RwSignal<Option<Saved>>,
) -> impl IntoView {
    let qid = q.id;
    let (saving, dirty) = (ed.saving, ed.dirty);
    let QuoteActions { send, approve, job } = actions;
    let was_sent = q.status == QuoteStatus::Sent;
    view! {
        <div class="actions">
            <a class="button secondary" href=format!("/quotes/{}/print", q.id) target="_blank">
                "Print"
            </a>
            {ed
                .editable
                .then(|| {
                    view! {
                        <button
                            type="button"
                            on:click=move |_| save.run(())
                            disabled=move || saving.get() || !dirty.get()
                        >
                            {move || {
                                if saving.get() {
                                    "Saving…"
                                } else if was_sent {
                                    "Save as a new draft"
                                } else {
                                    "Save"
                                }
                            }}
                        </button>
                    }
                })}
            {(q.can_edit && matches!(q.status, QuoteStatus::Draft | QuoteStatus::Sent))
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="primary"
                            disabled=move || dirty.get() || send.pending().get()
                            title=move || if dirty.get() { "Save your changes first" } else { "" }
                            on:click=move |_| {
                                saved_msg.set(None);
                                send.dispatch(SendQuote { id: qid });
                            }
                        >
                            {if q.status == QuoteStatus::Sent {
                                "Send a new link"
                            } else {
                                "Send to customer"
                            }}
                        </button>
                    }
                })}
            {(q.can_approve && q.status == QuoteStatus::PendingApproval)
                .then(|| {
                    view! {
                        <button
                            type="button"
                            on:click=move |_| {
                                approve.dispatch(ManagerApprove { id: qid });
                            }
                        >
                            "Approve discount"
                        </button>
                    }
                })}
            {(q.status == QuoteStatus::Approved && q.job_id.is_none() && q.can_edit)
                .then(|| {
                    view! {
                        <ActionForm action=job attr:class="inline">
                            <input type="hidden" name="quote_id" value=qid.to_string() />
                            <button type="submit" class="primary">
                                "Create job"
                            </button>
                        </ActionForm>
                    }
                })}
            {q
                .job_id
                .map(|j| {
                    view! {
                        <A href=format!("/jobs/{j}") attr:class="button">
                            "Open job"
                        </A>
                    }
                })}
        </div>
    }
}

/// Where the quote stands, as one sentence (or nothing for a draft).
fn status_line(q: &QuoteDetail) -> Option<String> {
    match q.status {
        QuoteStatus::Approved => Some(format!(
            "Approved by {} on {}.",
            q.decided_name.clone().unwrap_or_default(),
            q.decided_at
                .map(crate::app::local_date_time)
                .unwrap_or_default()
        )),
        QuoteStatus::Declined => Some(format!(
            "Declined on {}: “{}”",
            q.decided_at.map(crate::app::local_date).unwrap_or_default(),
            q.decline_reason.clone().unwrap_or_default()
        )),
        QuoteStatus::PendingApproval => {
            Some("Waiting for a manager to approve the discount.".to_string())
        }
        QuoteStatus::Sent => Some(format!(
            "Sent to the customer; the link works until {}.",
            q.link_expires_at
                .map(crate::app::local_date)
                .unwrap_or_else(|| "it is replaced".into())
        )),
        QuoteStatus::Draft => None,
    }
}

/// On a plan with approval workflows, what a draft's discount needs.
fn workflow_note(q: &QuoteDetail) -> Option<String> {
    (q.workflow && q.status == QuoteStatus::Draft).then(|| {
        if q.manager_approved {
            "A manager approved this version's discount; it can be sent.".to_string()
        } else {
            format!(
                "Discounts above {}% need a manager's approval before sending.",
                q.catalogue.approval_discount_pct.normalize()
            )
        }
    })
}

#[component]
pub fn Banners(
    q: QuoteDetail,
    ed: Editor,
    actions: QuoteActions,
    saved_msg: RwSignal<Option<Saved>>,
) -> impl IntoView {
    let QuoteActions { send, approve, job } = actions;
    let job_errors = action_error(move || job.value().get());
    let approve_errors = action_error(move || approve.value().get());
    let errors = ed.errors;
    let sent = move || send.value().get();
    let (qid, can_send) = (q.id, q.can_edit);
    view! {
        {status_line(&q)
            .map(|b| {
                view! {
                    <div class="banner banner-info" role="status">
                        {b}
                    </div>
                }
            })}
        {(q.status != QuoteStatus::Draft)
            .then(|| q.delivery.clone())
            .flatten()
            .map(|d| view! { <DeliveryNote delivery=d /> })}
        {workflow_note(&q).map(|b| view! { <p class="hint">{b}</p> })}
        <FormError errors=job_errors />
        <FormError errors=approve_errors />
        {move || {
            sent()
                .map(|r| match r {
                    Ok(o) if o.pending_approval => {
                        view! {
                            <div class="banner banner-info" role="status">
                                "The discount passes your approval threshold: the quote is waiting for a manager."
                            </div>
                        }
                            .into_any()
                    }
                    Ok(o) => {
                        view! {
                            <div class="banner banner-ok" role="status">
                                {if o.emailed && o.texted {
                                    "Sent. The customer was emailed and texted this approval link:"
                                } else if o.emailed {
                                    "Sent. The customer was emailed this approval link:"
                                } else if o.texted {
                                    "Sent. The customer was texted this approval link:"
                                } else {
                                    "The customer has no email address; share this approval link:"
                                }}
                                <span class="link-row">
                                    <input
                                        class="link-box"
                                        readonly
                                        aria-label="Approval link"
                                        data-testid="approval-link"
                                        value=o.link.clone().unwrap_or_default()
                                    />
                                    <CopyButton text=o.link.clone().unwrap_or_default() />
                                </span>
                            </div>
                        }
                            .into_any()
                    }
                    Err(e) => {
                        view! {
                            <div class="banner banner-error" role="alert">
                                {e.to_string()}
                            </div>
                        }
                            .into_any()
                    }
                })
        }}
        {(q.status == QuoteStatus::Sent && ed.editable)
            .then(|| {
                view! {
                    <Show when=move || ed.dirty.get()>
                        <div
                            class="banner banner-warn"
                            role="status"
                            data-testid="sent-edit-warning"
                        >
                            "This quote was sent to the customer. Saving your changes makes a new draft version, and the link they were sent stops working until you send the new version."
                        </div>
                    </Show>
                }
            })}
        {move || {
            saved_msg
                .get()
                .map(|(m, resend)| {
                    let offer = resend && can_send && sent().is_none_or(|r| r.is_err());
                    view! {
                        <div class="banner banner-ok" role="status">
                            {m}
                            {offer
                                .then(|| {
                                    view! {
                                        " "
                                        <button
                                            type="button"
                                            class="primary small"
                                            disabled=move || send.pending().get()
                                            on:click=move |_| {
                                                saved_msg.set(None);
                                                send.dispatch(SendQuote { id: qid });
                                            }
                                        >
                                            "Send the new version"
                                        </button>
                                    }
                                })}
                        </div>
                    }
                })
        }}
        {move || {
            errors
                .get()
                .map(|e| {
                    view! {
                        <div class="banner banner-error" role="alert">
                            {e
                                .fields()
                                .and_then(|f| f.get("drawing").map(str::to_string))
                                .unwrap_or_else(|| e.to_string())}
                        </div>
                    }
                })
        }}
    }
}
