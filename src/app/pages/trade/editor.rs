//! The live quote editor: the boundary designer beside the price, whose
//! lines, totals and ROI update as the user draws and types, with the
//! same Rust pricing code the server runs when the quote is saved. The
//! state lives in [`Editor`]; each part of the page is its own component.

mod actions;
mod items;
mod price;
mod roi;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::quotes::{save_quote, CreateJob, ManagerApprove, SendQuote};
use crate::app::components::Designer;
use crate::error::AppError;
use crate::model::pricing::{money, price_drawing, Priced, QuoteTerms};
use crate::model::{Drawing, QuoteDetail, TakeOff};
use actions::{Actions, Banners};
use items::ItemRow;
use price::PriceCard;
use roi::RoiPanel;

/// Everything the editor's parts share: the drawing and terms being
/// edited, the last saved ones, and the live numbers derived from them.
#[derive(Clone, Copy)]
pub struct Editor {
    pub editable: bool,
    pub drawing: RwSignal<Drawing>,
    pub items: RwSignal<Vec<ItemRow>>,
    pub next_key: StoredValue<u32>,
    pub discount: RwSignal<String>,
    pub tax: RwSignal<String>,
    pub over: RwSignal<String>,
    pub notes: RwSignal<String>,
    /// The server's answer to the last save, when it refused.
    pub errors: RwSignal<Option<AppError>>,
    pub saving: RwSignal<bool>,
    /// What was saved last (to know what is unsaved).
    pub original: RwSignal<(Drawing, QuoteTerms)>,
    /// The take-off and prices, recomputed as the user types.
    pub live: Memo<Option<(TakeOff, Priced)>>,
    pub live_errors: Memo<Option<crate::model::FieldErrors>>,
    pub dirty: Memo<bool>,
}

impl Editor {
    fn new(q: &QuoteDetail) -> Editor {
        let drawing = RwSignal::new(q.drawing.clone());
        let items = RwSignal::new(
            q.terms
                .items
                .iter()
                .enumerate()
                .map(|(i, it)| ItemRow::new(i as u32, it.clone()))
                .collect::<Vec<_>>(),
        );
        let discount = RwSignal::new(q.terms.discount_pct.clone());
        let tax = RwSignal::new(q.terms.tax_pct.clone());
        let over = RwSignal::new(q.terms.price_override.clone());
        let notes = RwSignal::new(q.terms.notes.clone());
        let terms = move || QuoteTerms {
            items: items.with(|v| v.iter().map(ItemRow::get).collect()),
            discount_pct: discount.get(),
            tax_pct: tax.get(),
            price_override: over.get(),
            notes: notes.get(),
        };
        let original = RwSignal::new((q.drawing.clone(), q.terms.clone()));
        let catalogue = StoredValue::new(q.catalogue.clone());
        let (m, src) = (q.multiplier, q.multiplier_source);
        let lot = q.property.lot_sqft;
        let pets = q.property.pets.len() as u32;
        let location = q.property.location();
        Editor {
            editable: q.can_edit && q.status.editable(),
            drawing,
            items,
            next_key: StoredValue::new(q.terms.items.len() as u32),
            discount,
            tax,
            over,
            notes,
            errors: RwSignal::new(None),
            saving: RwSignal::new(false),
            original,
            // The same Rust code the server runs on save.
            // While a field is invalid (a 150% discount, an item without a
            // price yet) the last valid figures stay on screen, beside the
            // field's message, instead of the whole quote disappearing.
            live: Memo::new(move |prev: Option<&Option<(TakeOff, Priced)>>| {
                match terms().validate() {
                    Ok(valid) => Some(catalogue.with_value(|c| {
                        price_drawing(c, (m, src), &drawing.get(), lot, pets, &valid, location)
                    })),
                    Err(_) => prev.cloned().flatten(),
                }
            }),
            live_errors: Memo::new(move |_| terms().validate().err()),
            dirty: Memo::new(move |_| {
                original.with(|(d, t)| !drawing.with(|x| x.same_wire(d)) || terms() != *t)
            }),
        }
    }

    /// The terms as typed.
    pub fn terms(&self) -> QuoteTerms {
        QuoteTerms {
            items: self.items.with(|v| v.iter().map(ItemRow::get).collect()),
            discount_pct: self.discount.get(),
            tax_pct: self.tax.get(),
            price_override: self.over.get(),
            notes: self.notes.get(),
        }
    }

    /// The live price, for the totals and the ROI panel.
    pub fn priced(&self) -> Signal<Option<Priced>> {
        let live = self.live;
        Signal::derive(move || live.get().map(|(_, p)| p))
    }

    /// Saves the drawing and terms; the server answers with the version.
    fn save(
        self,
        id: uuid::Uuid,
        was_sent: bool,
        saved_msg: RwSignal<Option<Saved>>,
        bump: RwSignal<u32>,
    ) {
        self.saving.set(true);
        saved_msg.set(None);
        let json = serde_json::to_string(&self.drawing.get_untracked()).unwrap_or_default();
        let t = self.terms();
        let now = t.clone();
        leptos::task::spawn_local(async move {
            let r = save_quote(id, json, t).await;
            self.saving.set(false);
            match r {
                Ok(v) => {
                    self.errors.set(None);
                    self.original.set((self.drawing.get_untracked(), now));
                    saved_msg.set(Some(if was_sent {
                        (
                            format!(
                                "Saved as version {v}, a draft. The link the customer was sent no longer works: send them this version."
                            ),
                            true,
                        )
                    } else {
                        (format!("Saved as version {v}."), false)
                    }));
                    bump.update(|n| *n += 1);
                }
                Err(e) => self.errors.set(Some(e)),
            }
        });
    }
}

/// The last save's message, and whether it replaced a version the customer
/// had been sent (whose link then stopped working: offer to send again).
pub type Saved = (String, bool);

/// The actions a quote page offers around the editor.
#[derive(Clone, Copy)]
pub struct QuoteActions {
    pub send: ServerAction<SendQuote>,
    pub approve: ServerAction<ManagerApprove>,
    pub job: ServerAction<CreateJob>,
}

#[component]
pub fn QuoteEditor(
    q: QuoteDetail,
    bump: RwSignal<u32>,
    saved_msg: RwSignal<Option<Saved>>,
    actions: QuoteActions,
) -> impl IntoView {
    let ed = Editor::new(&q);
    let qid = q.id;
    let was_sent = q.status == crate::model::QuoteStatus::Sent;
    let save = Callback::new(move |_: ()| ed.save(qid, was_sent, saved_msg, bump));
    let map = q
        .map_tiles
        .clone()
        .zip(q.property.location())
        .map(|(t, (a, b))| (t, a, b));
    let drawing = ed.drawing;
    let versions = q.versions.clone();
    let (property_href, property_title) =
        (format!("/properties/{}", q.property.id), q.property.title());
    view! {
        <Title text=format!("Quote Q-{}", q.number) />
        <nav class="crumbs">
            <A href="/quotes">"Quotes"</A>
            " / "
            <A href=property_href>{property_title}</A>
            " / "
        </nav>
        <div class="page-head">
            <h1>
                {format!("Quote Q-{} ", q.number)}
                <span class=format!("pill {}", q.status.code()) data-testid="quote-status">
                    {q.status.label()}
                </span>
            </h1>
            <Actions q=q.clone() ed actions save saved_msg />
        </div>
        <Banners q=q.clone() ed actions saved_msg />
        <div class="quote-grid">
            <section class="card">
                <h2>"Boundary"</h2>
                <Designer drawing editable=ed.editable map=map />
            </section>
            <div class="stack">
                <PriceCard q=q.clone() ed />
                <RoiPanel
                    priced=ed.priced()
                    costs_visible=q.costs_visible
                    has_depot=q.catalogue.has_depot()
                />
                <section class="card">
                    <h2>"Versions"</h2>
                    <ul class="plain-list">
                        {versions
                            .into_iter()
                            .map(|(v, total, at)| {
                                view! {
                                    <li>
                                        {format!(
                                            "v{v} · {} · {}",
                                            money(total),
                                            crate::app::local_date_time(at),
                                        )}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </section>
            </div>
        </div>
    }
}
