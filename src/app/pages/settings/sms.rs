//! Settings → Text messages: whether the SMS add-on is on, the texts sent
//! this month and before (what the provider bills, in segments), the
//! latest texts with their state, and how many numbers replied STOP.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::sms::get_sms_overview;
use crate::app::components::loaded;
use crate::model::sms::SmsOverview;

#[component]
pub fn SmsSection() -> impl IntoView {
    let info = Resource::new(|| (), |_| get_sms_overview());
    view! {
        <section class="card" data-testid="sms">
            <h2>"Text messages"</h2>
            {loaded(info, |o| sms_body(o).into_any())}
        </section>
    }
}

fn sms_body(o: SmsOverview) -> impl IntoView {
    let intro = if o.enabled {
        "Homeowners get a text the day before their appointment, when you send a quote and when the crew is on the way. Texts go between 8 AM and 9 PM where the homeowner lives; a reply of STOP ends them."
    } else {
        "With the SMS add-on, homeowners get a text the day before their appointment, when you send a quote and when the crew is on the way."
    };
    let this_month = o.months.first().cloned();
    let earlier: Vec<_> = o.months.iter().skip(1).cloned().collect();
    view! {
        <p>{intro}</p>
        {(!o.enabled)
            .then(|| {
                view! {
                    <p>
                        <A href="/settings/billing" attr:class="button secondary">
                            "Add SMS notifications ($20/month)"
                        </A>
                    </p>
                }
            })}
        {(o.enabled && !o.provider)
            .then(|| {
                view! {
                    <div class="banner banner-info" role="status">
                        "Texts are queued but this installation has no SMS provider configured yet."
                    </div>
                }
            })}
        {this_month
            .map(|m| {
                view! {
                    <p data-testid="sms-usage">
                        <strong>
                            {format!(
                                "{}: {}",
                                m.label,
                                crate::model::count(m.messages, "text", "texts"),
                            )}
                        </strong>
                        {format!(" ({})", crate::model::count(m.segments, "segment", "segments"))}
                    </p>
                }
            })}
        {(!earlier.is_empty())
            .then(|| {
                view! {
                    <p class="muted small">
                        {earlier
                            .iter()
                            .map(|m| {
                                format!(
                                    "{}: {}",
                                    m.label,
                                    crate::model::count(m.messages, "text", "texts"),
                                )
                            })
                            .collect::<Vec<_>>()
                            .join(" · ")}
                    </p>
                }
            })}
        {(o.opted_out > 0)
            .then(|| {
                view! {
                    <p class="muted small">
                        {format!(
                            "{} replied STOP and will not be texted until they reply START.",
                            crate::model::count(o.opted_out, "number", "numbers"),
                        )}
                    </p>
                }
            })}
        {(!o.recent.is_empty())
            .then(|| {
                view! {
                    <div class="table-wrap">
                        <table class="list" data-testid="sms-recent">
                            <thead>
                                <tr>
                                    <th>"When"</th>
                                    <th>"To"</th>
                                    <th>"What"</th>
                                    <th>"Status"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {o
                                    .recent
                                    .iter()
                                    .map(|r| {
                                        let status = match &r.error {
                                            Some(e) if r.status == "failed" => {
                                                format!("not delivered: {e}")
                                            }
                                            _ => r.status.clone(),
                                        };
                                        view! {
                                            <tr>
                                                <td>{r.at.clone()}</td>
                                                <td>{r.to.clone()}</td>
                                                <td>{r.kind.clone()}</td>
                                                <td>{status}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
            })}
    }
}
