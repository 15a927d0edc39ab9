//! Live updates: when a job is moved or changes state, every signed-in
//! board and crew phone of that tenant hears of it within a second.
//!
//! A change calls [`notify`] inside its own tenant transaction: PostgreSQL
//! delivers a `NOTIFY` only when that transaction commits, so a refused or
//! rolled-back change is never announced. Each app instance holds one
//! `LISTEN` connection ([`Live::start`]) and fans what arrives out to its
//! open `GET /events` streams (server-sent events), each of which passes on
//! only its own tenant's events, and to a crew member only those about
//! their crews' jobs. Events carry ids and a kind, never data: the page
//! fetches what changed through the server functions, which check access as
//! always. On (re)connecting, and whenever an instance may have missed
//! something (its listener reconnected, a slow client fell behind), the
//! stream sends `resync` and the page fetches its data afresh: catch-up by
//! state, not by replaying a log.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use super::{repo, RequestCtx, TenantTx};
use crate::error::AppError;
use crate::model::Role;

/// The PostgreSQL channel the app instances listen on.
pub const CHANNEL: &str = "fence_events";
/// A stream ends after this long and the browser reconnects (so a session
/// that ended, or a role that changed, takes effect on the stream too).
pub const STREAM_MAX: Duration = Duration::from_secs(300);

/// One change, as announced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The tenant; none: every stream must resync (this instance may have
    /// missed events).
    pub org: Option<Uuid>,
    pub kind: String,
    #[serde(default)]
    pub job: Option<Uuid>,
    /// The crews the change touches (before and after a move).
    #[serde(default)]
    pub crews: Vec<Uuid>,
}

/// This instance's fan-out of the tenant events it hears.
#[derive(Clone)]
pub struct Live {
    tx: broadcast::Sender<Arc<Change>>,
    /// Set when the process shuts down: every stream ends (the browser
    /// reconnects, to another instance), so draining does not wait for
    /// streams that never finish.
    closing: Arc<tokio::sync::watch::Sender<bool>>,
}

impl Live {
    /// Starts listening on [`CHANNEL`] (reconnecting with a pause when the
    /// connection drops; every stream resyncs after a reconnection).
    /// The same connection hears the caches' announcements
    /// ([`super::cache`]): while it is down, the caches serve nothing.
    pub fn start(
        url: String,
        caches: super::cache::Caches,
        replica: super::replica::Replica,
    ) -> Live {
        let (tx, _) = broadcast::channel(1024);
        let live = Live {
            tx: tx.clone(),
            closing: Arc::new(tokio::sync::watch::channel(false).0),
        };
        tokio::spawn(async move {
            let mut first = true;
            loop {
                match listen(&url, &tx, &caches, &replica, first).await {
                    Ok(()) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "live updates: listener lost; reconnecting")
                    }
                }
                caches.deaf();
                replica.listening(false);
                first = false;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        live
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.tx.subscribe()
    }

    /// Ends every stream, now and from now on (shutdown).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }
}

async fn listen(
    url: &str,
    tx: &broadcast::Sender<Arc<Change>>,
    caches: &super::cache::Caches,
    replica: &super::replica::Replica,
    first: bool,
) -> Result<(), sqlx::Error> {
    let mut l = sqlx::postgres::PgListener::connect(url).await?;
    // The caches start afresh once both channels are listened to.
    l.listen_all([CHANNEL, super::cache::CHANNEL]).await?;
    caches.listening();
    replica.listening(true);
    if !first {
        let _ = tx.send(Arc::new(Change {
            org: None,
            kind: "resync".into(),
            job: None,
            crews: vec![],
        }));
    }
    loop {
        // (`try_recv`, not `recv`: `recv` reconnects by itself and would
        // hide that announcements were missed meanwhile.)
        let Some(n) = l.try_recv().await? else {
            caches.deaf();
            caches.listening();
            replica.listening(false);
            replica.listening(true);
            let _ = tx.send(Arc::new(Change {
                org: None,
                kind: "resync".into(),
                job: None,
                crews: vec![],
            }));
            continue;
        };
        if n.channel() == super::cache::CHANNEL {
            caches.heard(n.payload());
            if let Some(org) = n
                .payload()
                .strip_prefix("org:")
                .and_then(|o| o.parse().ok())
            {
                replica.heard(org);
            }
            continue;
        }
        match serde_json::from_str::<Change>(n.payload()) {
            Ok(c) if c.org.is_some() => {
                replica.heard(c.org.expect("checked"));
                metrics::counter!("fence_live_events_total").increment(1);
                let _ = tx.send(Arc::new(c));
            }
            _ => tracing::warn!("live updates: a payload that is not a change"),
        }
    }
}

/// Announces a change of the transaction's tenant, delivered when (and
/// only if) the transaction commits.
#[tracing::instrument(skip_all, fields(org_id = %tx.org_id(), kind))]
pub async fn notify(
    tx: &mut TenantTx,
    kind: &str,
    job: Option<Uuid>,
    crews: &[Uuid],
) -> Result<(), AppError> {
    let payload = serde_json::to_string(&Change {
        org: Some(tx.org_id()),
        kind: kind.into(),
        job,
        crews: crews.to_vec(),
    })
    .map_err(|e| super::db::internal(&e))?;
    sqlx::query!("select pg_notify($1, $2)", CHANNEL, payload)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Announces a change to `job`, to the crew it is booked on (the office
/// sees every change).
pub async fn notify_job(tx: &mut TenantTx, kind: &str, job: Uuid) -> Result<(), AppError> {
    let crews: Vec<Uuid> = super::repo::jobs::crew_of(tx, job)
        .await?
        .into_iter()
        .collect();
    notify(tx, kind, Some(job), &crews).await
}

/// The crews `user` belongs to.
async fn crews_of(cx: &RequestCtx, user: Uuid) -> HashSet<Uuid> {
    let Ok(mut tx) = cx.tx().await else {
        return HashSet::new();
    };
    let crews = repo::schedule::crews(&mut tx).await.unwrap_or_default();
    let _ = tx.commit().await;
    crews
        .into_iter()
        .filter(|c| c.members.iter().any(|m| m.user_id == user))
        .map(|c| c.id)
        .collect()
}

/// Whether a stream for `org` (a crew member's when `mine` is some) passes
/// `c` on.
pub fn passes(c: &Change, org: Uuid, mine: Option<&HashSet<Uuid>>) -> bool {
    match c.org {
        None => true,
        Some(o) if o != org => false,
        Some(_) => match mine {
            None => true,
            Some(m) => c.kind.starts_with("crew.") || c.crews.iter().any(|k| m.contains(k)),
        },
    }
}

/// `GET /events`: the signed-in member's live event stream for their
/// tenant. Which tenant comes from the host and the session, never from the
/// request: there is nothing to ask for.
pub async fn events(Extension(cx): Extension<RequestCtx>) -> Response {
    let (org, me) = match (cx.tenant_id(), cx.member()) {
        (Ok(o), Ok(m)) => (o, m.clone()),
        (Err(e), _) | (_, Err(e)) => {
            return (
                http::StatusCode::from_u16(e.status()).unwrap_or(http::StatusCode::UNAUTHORIZED),
                e.to_string(),
            )
                .into_response()
        }
    };
    let mine = if me.role == Role::Crew {
        Some(crews_of(&cx, me.id).await)
    } else {
        None
    };
    let rx = cx.state.live.subscribe();
    let closing = cx.state.live.closing();
    let deadline = tokio::time::Instant::now() + STREAM_MAX;
    struct St {
        rx: broadcast::Receiver<Arc<Change>>,
        closing: tokio::sync::watch::Receiver<bool>,
        mine: Option<HashSet<Uuid>>,
        cx: RequestCtx,
        me: Uuid,
        started: bool,
    }
    let st = St {
        rx,
        closing,
        mine,
        cx,
        me: me.id,
        started: false,
    };
    let stream = futures::stream::unfold(st, move |mut st| async move {
        if !st.started {
            st.started = true;
            return Some((
                Ok::<Event, Infallible>(Event::default().event("resync").data("{}")),
                st,
            ));
        }
        loop {
            let next = tokio::select! {
                n = tokio::time::timeout_at(deadline, st.rx.recv()) => n,
                _ = st.closing.wait_for(|c| *c) => return None,
            };
            let c = match next {
                Err(_) => return None,
                Ok(Err(broadcast::error::RecvError::Closed)) => return None,
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => {
                    return Some((Ok(Event::default().event("resync").data("{}")), st))
                }
                Ok(Ok(c)) => c,
            };
            if !passes(&c, org, st.mine.as_ref()) {
                continue;
            }
            if c.org.is_none() {
                return Some((Ok(Event::default().event("resync").data("{}")), st));
            }
            if st.mine.is_some() && c.kind.starts_with("crew.") {
                st.mine = Some(crews_of(&st.cx, st.me).await);
            }
            let data = serde_json::json!({ "kind": c.kind, "job": c.job }).to_string();
            return Some((Ok(Event::default().event("change").data(data)), st));
        }
    });
    let mut r = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(20)))
        .into_response();
    r.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    // Proxies must not buffer the stream.
    r.headers_mut().insert(
        http::HeaderName::from_static("x-accel-buffering"),
        http::HeaderValue::from_static("no"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(org: u128, kind: &str, crews: &[u128]) -> Change {
        Change {
            org: Some(Uuid::from_u128(org)),
            kind: kind.into(),
            job: None,
            crews: crews.iter().map(|c| Uuid::from_u128(*c)).collect(),
        }
    }

    #[test]
    fn a_stream_passes_its_own_tenants_events_only() {
        let a = Uuid::from_u128(1);
        assert!(passes(&change(1, "job.placed", &[]), a, None));
        assert!(!passes(&change(2, "job.placed", &[]), a, None));
        // A resync for everyone.
        let all = Change {
            org: None,
            kind: "resync".into(),
            job: None,
            crews: vec![],
        };
        assert!(passes(&all, a, None));
        // A crew member hears about their crews' jobs and crew changes.
        let mine: HashSet<Uuid> = [Uuid::from_u128(10)].into();
        assert!(passes(&change(1, "job.placed", &[9, 10]), a, Some(&mine)));
        assert!(!passes(&change(1, "job.placed", &[11]), a, Some(&mine)));
        assert!(passes(&change(1, "crew.saved", &[]), a, Some(&mine)));
        assert!(!passes(&change(2, "job.placed", &[10]), a, Some(&mine)));
    }
}
