//! The quote's extra items: rows the user adds, edits and removes, each
//! with its own message.

use leptos::prelude::*;

use super::Editor;
use crate::model::pricing::ManualItem;

#[component]
pub fn ExtraItems(ed: Editor) -> impl IntoView {
    view! {
        <div class="items">
            <For each=move || ed.items.get() key=|r| r.key let:row>
                {
                    let index = move || {
                        ed.items.with(|v| v.iter().position(|r| r.key == row.key).unwrap_or(0))
                    };
                    let msg = move || {
                        let k = format!("item{}", index());
                        ed.errors
                            .get()
                            .and_then(|e| e.fields().and_then(|f| f.get(&k).map(str::to_string)))
                            .or_else(|| {
                                ed.live_errors.get().and_then(|f| f.get(&k).map(str::to_string))
                            })
                    };
                    // The row's position now (rows can be removed above it).
                    view! {
                        <div class="item-row">
                            <input
                                aria-label=move || format!("Item {} description", index() + 1)
                                placeholder="Description"
                                value=row.description.get_untracked()
                                disabled=!ed.editable
                                on:input=move |ev| row.description.set(event_target_value(&ev))
                            />
                            <input
                                aria-label=move || format!("Item {} quantity", index() + 1)
                                class="qty"
                                inputmode="decimal"
                                placeholder="Qty"
                                value=row.qty.get_untracked()
                                disabled=!ed.editable
                                on:input=move |ev| row.qty.set(event_target_value(&ev))
                            />
                            <input
                                aria-label=move || format!("Item {} unit price", index() + 1)
                                class="price"
                                inputmode="decimal"
                                placeholder="Unit price"
                                value=row.unit_price.get_untracked()
                                disabled=!ed.editable
                                on:input=move |ev| row.unit_price.set(event_target_value(&ev))
                            />
                            {ed
                                .editable
                                .then(|| {
                                    view! {
                                        <button
                                            type="button"
                                            class="link"
                                            on:click=move |_| {
                                                ed.items.update(|v| v.retain(|r| r.key != row.key))
                                            }
                                        >
                                            "Remove"
                                        </button>
                                    }
                                })}
                            <p class="error" role="alert">
                                {msg}
                            </p>
                        </div>
                    }
                }
            </For>
            {ed
                .editable
                .then(|| {
                    view! {
                        <button
                            type="button"
                            class="secondary small"
                            on:click=move |_| {
                                let key = ed.next_key.get_value();
                                ed.next_key.set_value(key + 1);
                                ed.items
                                    .update(|v| {
                                        v.push(
                                            ItemRow::new(
                                                key,
                                                ManualItem {
                                                    qty: "1".into(),
                                                    ..Default::default()
                                                },
                                            ),
                                        )
                                    });
                            }
                        >
                            "Add item"
                        </button>
                    }
                })}
        </div>
    }
}

/// One extra item being edited: a stable key and a signal per field, so
/// typing in one field never re-creates the row (and loses focus).
#[derive(Clone, Copy)]
pub struct ItemRow {
    pub key: u32,
    description: RwSignal<String>,
    qty: RwSignal<String>,
    unit_price: RwSignal<String>,
}

impl ItemRow {
    pub fn new(key: u32, it: ManualItem) -> ItemRow {
        ItemRow {
            key,
            description: RwSignal::new(it.description),
            qty: RwSignal::new(it.qty),
            unit_price: RwSignal::new(it.unit_price),
        }
    }

    pub fn get(&self) -> ManualItem {
        ManualItem {
            description: self.description.get(),
            qty: self.qty.get(),
            unit_price: self.unit_price.get(),
        }
    }
}
