//! Live pages: a page that shows shared, changing data (the schedule board,
//! a crew's day, the dashboard) calls [`on_live_change`] and is told when
//! another user changed something it may show, through the server's event
//! stream (`GET /events`, see `server::live`). The browser's EventSource
//! reconnects by itself; each (re)connection starts with `resync`, so a
//! page that was cut off fetches afresh and misses nothing.

/// Calls `changed` whenever the tenant's data this user may see changed
/// elsewhere (not for the first connection's `resync`: the page has just
/// loaded). Closes the stream when the page goes.
#[allow(unused_variables)]
pub fn on_live_change(changed: impl Fn() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::*;
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let Ok(es) = web_sys::EventSource::new("/events") else {
            return;
        };
        let seen_first = std::cell::Cell::new(false);
        let on_resync = {
            let changed = std::rc::Rc::new(changed);
            let c2 = changed.clone();
            let resync = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_| {
                if seen_first.replace(true) {
                    c2();
                }
            });
            let change = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_| changed());
            let _ = es.add_event_listener_with_callback("resync", resync.as_ref().unchecked_ref());
            let _ = es.add_event_listener_with_callback("change", change.as_ref().unchecked_ref());
            (resync, change)
        };
        let held = StoredValue::new_local((es, on_resync));
        on_cleanup(move || {
            held.with_value(|(es, _)| es.close());
        });
    }
}
