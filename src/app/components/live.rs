//! Live pages: a page that shows shared, changing data (the schedule board,
//! a crew's day, the dashboard) calls [`on_live_change`] and is told when
//! another user changed something it may show, through the server's event
//! stream (`GET /events`, see `server::live`). The browser's EventSource
//! reconnects by itself; each (re)connection starts with `resync`, so a
//! page that was cut off fetches afresh and misses nothing.

/// Calls `changed` whenever the tenant's data this user may see changed
/// elsewhere (not for the first connection's `resync`: the page has just
/// loaded). Only on a tenant's site with someone signed in (the stream
/// answers nobody else); closes the stream when the page goes.
#[allow(unused_variables)]
pub fn on_live_change(changed: impl Fn() + Send + Sync + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::*;
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        type Held = (
            web_sys::EventSource,
            Closure<dyn Fn(web_sys::MessageEvent)>,
            Closure<dyn Fn(web_sys::MessageEvent)>,
        );
        let held = StoredValue::new_local(None::<Held>);
        let changed = std::sync::Arc::new(changed);
        let shell = crate::app::use_shell();
        // Opened once the page shell says who is looking (an effect: the
        // browser only).
        Effect::new(move |_| {
            let signed_in = shell.with(|s| {
                matches!(
                    s,
                    Some(Ok(crate::model::Shell {
                        site: crate::model::SiteKind::Tenant(_),
                        viewer: Some(_),
                        ..
                    }))
                )
            });
            if !signed_in || held.with_value(Option::is_some) {
                return;
            }
            let Ok(es) = web_sys::EventSource::new("/events") else {
                return;
            };
            let seen_first = std::cell::Cell::new(false);
            let c1 = changed.clone();
            let resync = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_| {
                if seen_first.replace(true) {
                    c1();
                }
            });
            let c2 = changed.clone();
            let change = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |_| c2());
            let _ = es.add_event_listener_with_callback("resync", resync.as_ref().unchecked_ref());
            let _ = es.add_event_listener_with_callback("change", change.as_ref().unchecked_ref());
            held.set_value(Some((es, resync, change)));
        });
        on_cleanup(move || {
            held.with_value(|h| {
                if let Some((es, _, _)) = h {
                    es.close();
                }
            });
        });
    }
}
