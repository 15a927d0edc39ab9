//! The phone with no signal. The service worker (`/sw.js`, see its comment)
//! keeps the pages a crew works from and queues the changes made offline;
//! this side registers it once someone is signed in on a tenant's site,
//! tells it when the phone is back online, and keeps what it reports as
//! waiting (and what the server refused) in [`Outbox`], so that pages show
//! a job as it will be once the queue is sent ("Completed · waiting to
//! send") and the bar under the header shows "2 changes waiting to send".

use leptos::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use crate::model::JobStatus;

/// A change the phone still has to send.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Waiting {
    pub id: i64,
    pub job: Option<Uuid>,
    /// `status`, `check` or `photos`.
    pub what: String,
    pub to: Option<String>,
    pub item: Option<String>,
    pub done: bool,
    pub kind: Option<String>,
    pub count: u32,
}

impl Waiting {
    /// "Start J-… work", "Tick an item", "2 after photos".
    pub fn describe(&self) -> String {
        match self.what.as_str() {
            "status" => self
                .to
                .as_deref()
                .and_then(JobStatus::parse)
                .map(|s| s.verb().to_string())
                .unwrap_or_else(|| "Status change".into()),
            "check" => {
                let label = crate::model::job::CHECKLIST
                    .iter()
                    .chain(crate::model::job::BATTERY_CHECKLIST.iter())
                    .find(|(k, _)| Some(*k) == self.item.as_deref())
                    .map(|(_, l)| *l)
                    .unwrap_or("Checklist item");
                format!("{} “{label}”", if self.done { "Tick" } else { "Untick" })
            }
            _ => format!(
                "{} {} photo{}",
                self.count,
                self.kind.as_deref().unwrap_or(""),
                if self.count == 1 { "" } else { "s" }
            ),
        }
    }
}

/// A change the server refused when it was sent, with its reason.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Refused {
    #[serde(flatten)]
    pub change: Waiting,
    pub reason: String,
}

/// What the service worker holds.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Outbox {
    pub waiting: Vec<Waiting>,
    pub failed: Vec<Refused>,
    /// How many times the queue shrank (changes reached the server): pages
    /// that show jobs load again when it moves.
    #[serde(skip)]
    pub sent: u32,
}

impl Outbox {
    fn for_job(&self, job: Uuid) -> impl Iterator<Item = &Waiting> {
        self.waiting.iter().filter(move |w| w.job == Some(job))
    }

    /// The job's status once its waiting changes are sent, and whether any
    /// status change waits.
    pub fn status(&self, job: Uuid, now: JobStatus) -> (JobStatus, bool) {
        self.for_job(job)
            .filter(|w| w.what == "status")
            .filter_map(|w| w.to.as_deref().and_then(JobStatus::parse))
            .fold((now, false), |_, s| (s, true))
    }

    /// The photos of `kind` waiting to be sent for the job.
    pub fn photos(&self, job: Uuid, kind: &str) -> u32 {
        self.for_job(job)
            .filter(|w| w.what == "photos" && w.kind.as_deref() == Some(kind))
            .map(|w| w.count)
            .sum()
    }

    /// The checklist's ticks once the waiting ones are sent.
    pub fn ticked(&self, job: Uuid, list: &[(&str, &str)], done: &[String]) -> Vec<String> {
        self.for_job(job)
            .filter(|w| w.what == "check")
            .fold(done.to_vec(), |acc, w| {
                w.item
                    .as_deref()
                    .and_then(|i| crate::model::job::tick_on(list, &acc, i, w.done))
                    .unwrap_or(acc)
            })
    }

    pub fn waiting_for(&self, job: Uuid) -> usize {
        self.for_job(job).count()
    }
}

#[derive(Clone, Copy)]
struct OutboxContext(RwSignal<Outbox>);

/// The outbox as last reported, for the calling component: empty until the
/// component is on screen (so a page hydrates as the server rendered it,
/// before anything was reported) and where there is no service worker (the
/// server, a browser without JavaScript).
pub fn use_outbox() -> Signal<Outbox> {
    let shown = RwSignal::new(Outbox::default());
    if let Some(OutboxContext(reported)) = use_context::<OutboxContext>() {
        Effect::new(move |_| {
            let now = reported.get();
            if shown.with_untracked(|s| *s != now) {
                shown.set(now);
            }
        });
    }
    shown.into()
}

/// Sends a message (JSON text) to the service worker, if there is one.
#[allow(unused_variables)]
fn post(msg: serde_json::Value) {
    #[cfg(feature = "hydrate")]
    if let Some(c) = container().and_then(|c| c.controller()) {
        let _ = c.post_message(&wasm_bindgen::JsValue::from_str(&msg.to_string()));
    }
}

#[cfg(feature = "hydrate")]
fn container() -> Option<web_sys::ServiceWorkerContainer> {
    let nav = web_sys::window()?.navigator();
    // Absent over plain http on another host than localhost.
    let has = js_sys::Reflect::has(&nav, &wasm_bindgen::JsValue::from_str("serviceWorker"))
        .unwrap_or(false);
    has.then(|| nav.service_worker())
}

/// Keeps these pages (and the files they load) on the phone for reading
/// offline, and runs `read` (which calls the server functions those pages
/// read, so the worker keeps their answers) once the worker is in charge.
#[allow(unused_variables)]
pub fn keep_for_offline(pages: Vec<String>, read: impl Fn() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let Some(c) = container() else { return };
        let online = web_sys::window().is_some_and(|w| w.navigator().on_line());
        if !online {
            return;
        }
        let go = move || {
            post(serde_json::json!({ "type": "warm", "pages": pages }));
            read();
        };
        if c.controller().is_some() {
            go();
        } else {
            let once = Closure::once_into_js(go);
            let opts = web_sys::AddEventListenerOptions::new();
            opts.set_once(true);
            let _ = c.add_event_listener_with_callback_and_add_event_listener_options(
                "controllerchange",
                once.unchecked_ref(),
                &opts,
            );
        }
    }
}

/// Forgets a refused change (the user has read why).
pub fn dismiss(id: i64) {
    post(serde_json::json!({ "type": "dismiss", "id": id }));
}

/// Provides the outbox to the app; in the browser, registers the worker once
/// someone is signed in on a tenant's site and listens to it.
pub fn provide_outbox() {
    let outbox = RwSignal::new(Outbox::default());
    provide_context(OutboxContext(outbox));
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let shell = crate::app::use_shell();
        let started = StoredValue::new(false);
        Effect::new(move |_| {
            let member = shell.with(|s| {
                matches!(
                    s,
                    Some(Ok(crate::model::Shell {
                        site: crate::model::SiteKind::Tenant(_),
                        viewer: Some(_),
                        ..
                    }))
                )
            });
            if !member || started.get_value() {
                return;
            }
            started.set_value(true);
            let Some(c) = container() else { return };
            let on_message =
                Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                    let Some(text) = e.data().as_string() else {
                        return;
                    };
                    let Ok(mut now) = serde_json::from_str::<Outbox>(&text) else {
                        return;
                    };
                    let before = outbox.with_untracked(|o| (o.waiting.len(), o.sent));
                    now.sent = before.1 + u32::from(now.waiting.len() < before.0);
                    if outbox.with_untracked(|o| *o != now) {
                        outbox.set(now);
                    }
                });
            c.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            on_message.forget();
            let ask = || {
                post(serde_json::json!({ "type": "status" }));
                post(serde_json::json!({ "type": "flush" }));
            };
            let on_ready = Closure::<dyn Fn()>::new(ask);
            let _ = c.add_event_listener_with_callback(
                "controllerchange",
                on_ready.as_ref().unchecked_ref(),
            );
            if let Some(w) = web_sys::window() {
                let _ =
                    w.add_event_listener_with_callback("online", on_ready.as_ref().unchecked_ref());
            }
            on_ready.forget();
            let _ = c.register("/sw.js");
            ask();
        });
    }
}

/// The bar under the header: what waits to be sent, and what the server
/// refused (with its reason, until dismissed).
#[component]
pub fn OutboxBar() -> impl IntoView {
    let outbox = use_outbox();
    move || {
        let o = outbox.get();
        if o.waiting.is_empty() && o.failed.is_empty() {
            return None;
        }
        let n = o.waiting.len();
        let waiting = (n > 0).then(|| {
            let what = o
                .waiting
                .iter()
                .map(Waiting::describe)
                .collect::<Vec<_>>()
                .join(" · ");
            view! {
                <p data-testid="outbox">
                    <strong>
                        {format!(
                            "{} waiting to send",
                            crate::model::count(n as i64, "change", "changes"),
                        )}
                    </strong>
                    " — kept on this phone and sent when the connection is back. "
                    <span class="muted small">{what}</span>
                </p>
            }
        });
        let failed = o
            .failed
            .into_iter()
            .map(|f| {
                let id = f.change.id;
                view! {
                    <p class="refused" role="alert">
                        {format!("Not sent: {}. {}", f.change.describe(), f.reason)}
                        " "
                        <button type="button" class="link small" on:click=move |_| dismiss(id)>
                            "Dismiss"
                        </button>
                    </p>
                }
            })
            .collect_view();
        Some(view! { <div class="outbox-bar">{waiting} {failed}</div> })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(job: Uuid, what: &str, to: Option<&str>, item: Option<&str>, done: bool) -> Waiting {
        Waiting {
            job: Some(job),
            what: what.into(),
            to: to.map(Into::into),
            item: item.map(Into::into),
            done,
            kind: (what == "photos").then(|| "after".into()),
            count: u32::from(what == "photos") * 2,
            ..Default::default()
        }
    }

    #[test]
    fn a_job_reads_as_it_will_be_once_the_queue_is_sent() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let o = Outbox {
            waiting: vec![
                w(a, "status", Some("in_progress"), None, false),
                w(a, "photos", None, None, false),
                w(a, "check", None, Some("signal"), true),
                w(a, "status", Some("completed"), None, false),
                w(b, "check", None, Some("flags"), true),
            ],
            ..Default::default()
        };
        assert_eq!(
            o.status(a, JobStatus::Scheduled),
            (JobStatus::Completed, true)
        );
        assert_eq!(
            o.status(b, JobStatus::Scheduled),
            (JobStatus::Scheduled, false)
        );
        assert_eq!(o.photos(a, "after"), 2);
        assert_eq!(o.photos(a, "before"), 0);
        assert_eq!(
            o.ticked(a, &crate::model::job::CHECKLIST, &["call_ahead".into()]),
            vec!["call_ahead", "signal"]
        );
        assert_eq!(o.waiting_for(a), 4);
        assert_eq!(o.waiting[0].describe(), "Start job");
        assert_eq!(o.waiting[1].describe(), "2 after photos");
    }

    #[test]
    fn the_workers_report_is_read_as_sent() {
        let o: Outbox = serde_json::from_str(
            r#"{"waiting":[{"id":3,"job":null,"what":"check","to":null,"item":"flags","done":true,"kind":null,"count":0}],
                "failed":[{"id":1,"job":null,"what":"status","to":"completed","item":null,"done":false,"kind":null,"count":0,"reason":"Add at least one after photo."}]}"#,
        )
        .unwrap();
        assert_eq!(o.waiting.len(), 1);
        assert_eq!(o.failed[0].reason, "Add at least one after photo.");
        assert_eq!(o.failed[0].change.to.as_deref(), Some("completed"));
    }
}
