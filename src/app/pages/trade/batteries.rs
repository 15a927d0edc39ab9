//! Battery visits: the pets whose collar batteries come due in the next
//! four weeks, one visit per property, each offered on the day and at the
//! time a crew already works nearest, with the detour it adds; one click
//! books it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::schedule::{battery_visits, BookBatteryVisit};
use crate::api::sms::TextBattery;
use crate::app::components::{loaded_keeping, on_live_change, successes, FormError};
use crate::app::{show_day, show_weekday, span};
use crate::app::{On, SiteGate};
use crate::model::pricing::money;
use crate::model::schedule::{
    duration, input_clock, BatteryStop, BatteryVisits, BATTERY_AHEAD_DAYS,
};

#[component]
pub fn BatteriesPage() -> impl IntoView {
    let book = ServerAction::<BookBatteryVisit>::new();
    let text = ServerAction::<TextBattery>::new();
    let booked = successes(move || book.value().get());
    let texted = successes(move || text.value().get());
    let refresh = RwSignal::new(0u32);
    on_live_change(move || refresh.update(|n| *n += 1));
    let data = Resource::new(
        move || (booked.get(), texted.get(), refresh.get()),
        |_| battery_visits(),
    );
    let errors = Signal::derive(move || {
        // Both read every time, so each stays followed.
        let booked = book.value().get().and_then(Result::err);
        let texted = text.value().get().and_then(Result::err);
        booked.or(texted)
    });
    view! {
        <Title text="Battery visits" />
        <SiteGate on=On::Tenant>
            <nav class="crumbs">
                <A href="/schedule">"Schedule"</A>
                " › Battery visits"
            </nav>
            <div class="page-head">
                <h1>"Battery visits"</h1>
            </div>
            <p class="muted">
                {format!(
                    "Receiver batteries last about three months. These collars come due within {} weeks; each visit is offered on a day a crew already works nearby, with the detour it adds.",
                    BATTERY_AHEAD_DAYS / 7,
                )}
            </p>
            <FormError errors />
            {move || {
                book.value()
                    .get()
                    .and_then(Result::ok)
                    .map(|id| {
                        view! {
                            <p class="banner banner-ok" role="status">
                                "Battery visit booked. "
                                <A href=format!("/jobs/{id}")>"Open it"</A>
                            </p>
                        }
                    })
            }}
            {move || {
                text.value()
                    .get()
                    .and_then(Result::ok)
                    .map(|to| {
                        view! {
                            <p class="banner banner-ok" role="status">
                                {format!("Texted {to} that the battery is due.")}
                            </p>
                        }
                    })
            }}
            {loaded_keeping(data, move |v| view! { <Stops v book text /> }.into_any())}
        </SiteGate>
    }
}

#[component]
fn Stops(
    v: BatteryVisits,
    book: ServerAction<BookBatteryVisit>,
    text: ServerAction<TextBattery>,
) -> impl IntoView {
    if v.stops.is_empty() {
        return view! {
            <section class="card">
                <p class="muted" data-testid="no-batteries">
                    "No collar battery comes due in the next four weeks."
                </p>
            </section>
        }
        .into_any();
    }
    let today = v.today;
    let can_book = v.can_book;
    let sms = v.sms && v.can_book;
    view! {
        <ul class="battery-stops">
            {v
                .stops
                .into_iter()
                .map(|s| view! { <Stop s today can_book book text sms /> })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn Stop(
    s: BatteryStop,
    today: Option<chrono::NaiveDate>,
    can_book: bool,
    book: ServerAction<BookBatteryVisit>,
    text: ServerAction<TextBattery>,
    sms: bool,
) -> impl IntoView {
    let pets = s
        .pets
        .iter()
        .map(|(_, name, due)| {
            let when = match today {
                Some(t) if *due < t => format!("overdue since {}", show_day(*due)),
                _ => format!("due {}", show_day(*due)),
            };
            format!("{name} ({when})")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let overdue = matches!((s.due(), today), (Some(d), Some(t)) if d < t);
    let property = s.property_id.to_string();
    let action = match (s.booked, s.offer.clone()) {
        (Some((id, n)), _) => view! {
            <p>
                <A href=format!("/jobs/{id}")>{format!("J-{n}")}</A>
                " booked"
            </p>
        }
        .into_any(),
        (None, Some(o)) => {
            let when = format!(
                "{} · {} · {}",
                o.crew_name,
                show_weekday(o.day),
                span(o.start, o.minutes)
            );
            let detour = format!(
                "+{:.1} mi ({} driving) beside the crew's other stops",
                o.added_miles,
                duration(o.added_minutes.round() as u32)
            );
            view! {
                <div class="offer" data-testid="offer">
                    <p>
                        <span class="swatch" style=format!("background:{}", o.color)></span>
                        " "
                        <strong>{when}</strong>
                        <br />
                        <span class="muted small">{detour}</span>
                    </p>
                    {can_book
                        .then(|| {
                            view! {
                                <ActionForm action=book>
                                    <input
                                        type="hidden"
                                        name="property_id"
                                        value=property.clone()
                                    />
                                    <input
                                        type="hidden"
                                        name="crew_id"
                                        value=o.crew_id.to_string()
                                    />
                                    <input
                                        type="hidden"
                                        name="day"
                                        value=o.day.format("%Y-%m-%d").to_string()
                                    />
                                    <input type="hidden" name="start" value=input_clock(o.start) />
                                    <button type="submit" disabled=move || book.pending().get()>
                                        "Book"
                                    </button>
                                </ActionForm>
                            }
                        })}
                </div>
            }
            .into_any()
        }
        (None, None) => {
            let why = if s.has_location {
                "No crew is out in the next two weeks: add it to the board and give it a day."
            } else {
                "The property has no map location, so no nearby day can be found."
            };
            view! { <p class="muted small">{why}</p> }.into_any()
        }
    };
    let waiting = (can_book && s.booked.is_none()).then(|| {
        view! {
            <ActionForm action=book>
                <input type="hidden" name="property_id" value=s.property_id.to_string() />
                <button type="submit" class="link" disabled=move || book.pending().get()>
                    "Add to the board without a time"
                </button>
            </ActionForm>
        }
    });
    let texting = (sms && s.booked.is_none()).then(|| {
        let last = s.texted.clone();
        view! {
            <ActionForm action=text>
                <input type="hidden" name="property_id" value=s.property_id.to_string() />
                <button type="submit" class="link" disabled=move || text.pending().get()>
                    "Text the homeowner it is due"
                </button>
                {last
                    .map(|t| {
                        view! { <span class="muted small">{format!(" · texted {t}")}</span> }
                    })}
            </ActionForm>
        }
    });
    view! {
        <li class="card battery-stop" class:overdue=overdue>
            <div>
                <A href=format!("/customers/{}", s.customer_id)>
                    <strong>{s.customer_name.clone()}</strong>
                </A>
                <p class="muted small">{s.address.clone()}</p>
                <p>{pets}</p>
                <p class="muted small">
                    {format!("{} visit · {}", duration(s.minutes), money(s.price))}
                </p>
            </div>
            <div>{action} {waiting} {texting}</div>
        </li>
    }
}
