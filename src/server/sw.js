// Fenceline's service worker: a crew's day stays readable with no signal,
// and what the crew does offline (start, complete, tick the checklist, add
// photos) is kept on the phone and sent, in order and once, when the
// connection returns.
//
// - Pages a crew works from (/today, /jobs/<id>) are fetched from the
//   network first and kept; without a network the kept copy is shown. The
//   app's files those pages preload are kept when /today is opened; opening
//   those pages they are read from the phone while they are from the build
//   the server sends (`x-fence-build`), else from the network, and the kept
//   copy without one. The data those pages read through server functions
//   (jobs/get, schedule/my_day) is kept the same way, keyed by the request.
// - Changes (jobs/transition, jobs/check, a job's photo upload) carry an `op`
//   id, chosen here once; the server applies an op id only once
//   (`client_ops`), so a change sent twice (a lost answer, a retry) counts
//   once. Without a network, or while older changes are still waiting, a
//   change goes into an IndexedDB queue and the page is told it is waiting.
// - The queue is sent when the page says the phone is online again, on
//   Background Sync, and after any request that reached the server. A change
//   the server refuses (the job was cancelled meanwhile) is kept aside with
//   the server's reason, for the page to show.
// - Signing out forgets the kept pages, data and queue (a shared phone).
//
// Each tenant's site is its own origin, so each has its own worker, caches
// and queue.

const CACHE = 'fence-v1';
const DB_NAME = 'fence-outbox';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const PAGES = new RegExp(`^/(today|jobs/${UUID})$`);
const READS = /^\/api\/(jobs\/get|schedule\/my_day)$/;
const ASSETS = /^\/(pkg|static)\//;
const PHOTOS = new RegExp(`^/jobs/(${UUID})/photos$`);
const CHANGES = /^\/api\/jobs\/(transition|check)$/;
const LOGOUT = '/api/auth/logout';
// Which build the kept app files are from (the `x-fence-build` of the
// pages they were kept with).
const BUILD_KEY = '/__fence_build';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (req.method === 'GET') {
    if (req.mode === 'navigate' && PAGES.test(path)) {
      event.respondWith(networkFirst(req, req.url));
    } else if (req.mode === 'navigate') {
      // A page this worker does not read: its build is unknown here, so
      // its app files come from the network.
      served = null;
    } else if (ASSETS.test(path)) {
      event.respondWith(asset(req));
    }
    return;
  }
  if (req.method !== 'POST') return;
  if (READS.test(path)) {
    event.respondWith(keptRead(req));
  } else if (CHANGES.test(path) || PHOTOS.test(path)) {
    event.respondWith(change(req, event));
  } else if (path === LOGOUT) {
    event.respondWith(logout(req));
  }
});

// Pages send their messages as JSON text.
self.addEventListener('message', (event) => {
  let m = {};
  try {
    m = typeof event.data === 'string' ? JSON.parse(event.data) : event.data || {};
  } catch (_) {
    return;
  }
  if (m.type === 'flush') event.waitUntil(flush());
  else if (m.type === 'status') event.waitUntil(announce());
  else if (m.type === 'warm') event.waitUntil(warm(m.pages || []));
  else if (m.type === 'dismiss') event.waitUntil(dismiss(m.id));
});

self.addEventListener('sync', (event) => {
  if (event.tag === 'fence-outbox') event.waitUntil(flush());
});

// ---- reading: network first, the kept copy without one ----

// The build of the last page of the crew's (/today, a job) this worker
// fetched, while no other page has been opened since: the app files that
// page needs are the kept ones when they are from that same build.
let served = null;
let keptBuild = null;

async function buildOfKept(cache) {
  if (keptBuild === null) {
    const b = await cache.match(BUILD_KEY);
    keptBuild = b ? await b.text() : '';
  }
  return keptBuild;
}

// The app's files are kept by `warm` (the pages a crew works from and what
// they preload). Opening one of those pages, they come straight from the
// phone when they are from the build the server just sent (no round trip
// per file on a slow connection); otherwise from the network, falling back
// to the kept copy. No page costs a cache write here.
async function asset(req) {
  const cache = await caches.open(CACHE);
  if (served && served === (await buildOfKept(cache))) {
    const hit = await cache.match(req.url);
    if (hit) return hit;
  }
  return fetch(req).catch(() => kept(req.url));
}

async function networkFirst(req, key) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(req);
    if (req.mode === 'navigate') served = res.headers.get('x-fence-build');
    if (res.ok && res.type === 'basic') await cache.put(key, res.clone());
    kick();
    return res;
  } catch (e) {
    const kept = (await cache.match(key)) || (await cache.match(key, { ignoreSearch: true }));
    if (kept) return kept;
    throw e;
  }
}

async function kept(key) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(key);
  if (hit) return hit;
  throw new TypeError('offline and not kept');
}

// A server function's answer, kept under the request's body.
async function keptRead(req) {
  const body = await req.clone().text();
  const key = `${req.url}?__body=${encodeURIComponent(body)}`;
  return networkFirst(req, key);
}

// Keeps pages (and the app files their HTML preloads) for offline use.
// The app's files of an earlier build (a deploy changes their names, or
// their content under the same name) are dropped once every page has been
// fetched from this build, so the phone keeps exactly what the pages it
// shows offline need.
async function warm(pages) {
  const cache = await caches.open(CACHE);
  const wanted = new Set();
  const before = await buildOfKept(cache);
  let build = '';
  for (const page of pages) {
    try {
      const res = await fetch(page, { credentials: 'same-origin' });
      if (!res.ok || res.redirected) return; // signed out or moved: keep what is kept
      const html = await res.clone().text();
      await cache.put(new URL(page, self.location.origin).href, res);
      build = build || res.headers.get('x-fence-build') || '';
      const stale = build !== before;
      for (const m of html.matchAll(/<link[^>]+href="(\/pkg\/[^"]+)"/g)) {
        const asset = new URL(m[1], self.location.origin).href;
        if (wanted.has(asset)) continue;
        wanted.add(asset);
        if (stale || !(await cache.match(asset))) {
          const a = await fetch(asset, { cache: 'no-cache' });
          if (a.ok) await cache.put(asset, a);
        }
      }
    } catch (_) {
      return; // offline: keep what is kept
    }
  }
  for (const key of await cache.keys()) {
    if (ASSETS.test(new URL(key.url).pathname) && !wanted.has(key.url)) await cache.delete(key);
  }
  await cache.put(BUILD_KEY, new Response(build));
  keptBuild = build;
}

// ---- changing: sent now, or queued ----

async function change(req, event) {
  const navigate = req.mode === 'navigate';
  const item = await describe(req);
  if ((await count('queue')) === 0) {
    try {
      const res = await fetch(rebuild(item), { redirect: navigate ? 'manual' : 'follow' });
      kick();
      return res;
    } catch (_) {
      // No network: queued below.
    }
  }
  await add('queue', item);
  try {
    await self.registration.sync.register('fence-outbox');
  } catch (_) {
    // No Background Sync here: the page asks when it is online.
  }
  await announce();
  // Older changes may be waiting only for a retry: try now, and keep the
  // worker alive while it sends.
  event.waitUntil(flush());
  if (navigate) {
    const back = item.photos ? `/jobs/${item.job}#photos` : req.referrer || '/today';
    return Response.redirect(new URL(back, self.location.origin).href, 303);
  }
  // What a server function returning `()` answers.
  return new Response('null', {
    status: 200,
    headers: { 'content-type': 'application/json', 'x-fence-queued': '1' },
  });
}

// The request as a storable record, with its `op` id fixed now.
async function describe(req) {
  const url = new URL(req.url);
  const photo = url.pathname.match(PHOTOS);
  const base = { url: req.url, at: Date.now() };
  if (photo) {
    const form = await req.formData();
    if (!form.get('op')) form.set('op', crypto.randomUUID());
    const fields = [];
    for (const [k, v] of form.entries()) fields.push([k, v]);
    const files = fields.filter(([k, v]) => k === 'photo' && typeof v !== 'string' && v.size > 0);
    return {
      ...base,
      photos: true,
      job: photo[1],
      fields,
      what: 'photos',
      kind: String(form.get('kind') || ''),
      count: files.length,
    };
  }
  const params = new URLSearchParams(await req.text());
  if (!params.get('op')) params.set('op', crypto.randomUUID());
  const check = url.pathname.endsWith('/check');
  return {
    ...base,
    photos: false,
    job: params.get('id'),
    body: params.toString(),
    accept: req.headers.get('accept') || '',
    what: check ? 'check' : 'status',
    to: params.get('to'),
    item: params.get('item'),
    done: params.get('done') === 'true',
  };
}

function rebuild(item) {
  if (item.photos) {
    const form = new FormData();
    for (const [k, v] of item.fields) form.append(k, v);
    return new Request(item.url, { method: 'POST', body: form, credentials: 'same-origin' });
  }
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (item.accept) headers.accept = item.accept;
  return new Request(item.url, {
    method: 'POST',
    body: item.body,
    headers,
    credentials: 'same-origin',
  });
}

// ---- sending the queue ----

let flushing = null;
let nextTry = 0;

// After a request reached the server: send what waits, at most every 5 s.
function kick() {
  if (Date.now() >= nextTry) {
    nextTry = Date.now() + 5000;
    flush();
  }
}

function flush() {
  if (!flushing) {
    flushing = sendAll().finally(() => {
      flushing = null;
    });
  }
  return flushing;
}

async function sendAll() {
  for (;;) {
    const item = await first('queue');
    if (!item) break;
    let res;
    try {
      res = await fetch(rebuild(item), { redirect: 'follow' });
    } catch (_) {
      break; // still offline: try again later
    }
    const outcome = await judge(item, res);
    if (outcome === 'retry') break;
    if (outcome !== 'sent') await add('failed', { ...item, fields: undefined, reason: outcome });
    await remove('queue', item.id);
    await announce();
  }
  await announce();
}

// 'sent', 'retry' (try later), or the reason the server refused it.
async function judge(item, res) {
  const landed = new URL(res.url || item.url);
  if (landed.pathname === '/login') return 'retry'; // signed out: sign in to send
  if (res.status >= 500 || res.status === 408 || res.status === 429 || res.status === 401) {
    return 'retry';
  }
  if (item.photos) {
    if (res.status === 404) return 'That job is no longer yours to work.';
    const err = landed.searchParams.get('photo_error');
    return err ? err : res.ok ? 'sent' : `Refused (${res.status}).`;
  }
  if (res.ok) return 'sent';
  try {
    const e = await res.json();
    if (e === 'NotFound') return 'That job is no longer yours to work.';
    if (e && typeof e === 'object') {
      const v = Object.values(e)[0];
      if (typeof v === 'string') return v;
      return 'The server refused the change.';
    }
  } catch (_) {
    // not JSON
  }
  return `Refused (${res.status}).`;
}

// Tells every open page what waits and what was refused.
async function announce() {
  const waiting = (await all('queue')).map(summary);
  const failed = (await all('failed')).map((f) => ({ ...summary(f), reason: f.reason }));
  const msg = JSON.stringify({ waiting, failed });
  for (const c of await self.clients.matchAll({ includeUncontrolled: true })) {
    c.postMessage(msg);
  }
}

function summary(i) {
  return {
    id: i.id,
    job: i.job,
    what: i.what,
    to: i.to || null,
    item: i.item || null,
    done: !!i.done,
    kind: i.kind || null,
    count: i.count || 0,
  };
}

async function dismiss(id) {
  await remove('failed', id);
  await announce();
}

async function logout(req) {
  // A form's post answers with a redirect (opaque here): signed out too.
  const res = await fetch(req);
  if (res.ok || res.type === 'opaqueredirect') {
    await caches.delete(CACHE);
    keptBuild = null;
    served = null;
    await clear('queue');
    await clear('failed');
    await announce();
  }
  return res;
}

// ---- IndexedDB, as promises ----

// One connection for the worker's life.
let opened = null;
function db() {
  if (!opened) opened = openDb().catch((e) => {
    opened = null;
    throw e;
  });
  return opened;
}

function openDb() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => {
      open.result.createObjectStore('queue', { keyPath: 'id', autoIncrement: true });
      open.result.createObjectStore('failed', { keyPath: 'id', autoIncrement: true });
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function run(store, mode, f) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(store, mode);
    const r = f(t.objectStore(store));
    t.oncomplete = () => resolve(r && r.result);
    t.onerror = () => reject(t.error);
  });
}

const add = (store, v) => {
  const { id, ...rest } = v;
  return run(store, 'readwrite', (s) => s.add(rest));
};
const remove = (store, id) => run(store, 'readwrite', (s) => s.delete(id));
const clear = (store) => run(store, 'readwrite', (s) => s.clear());
const all = (store) => run(store, 'readonly', (s) => s.getAll());
const count = (store) => run(store, 'readonly', (s) => s.count());
const first = async (store) => {
  const [v] = await run(store, 'readonly', (s) => s.getAll(null, 1));
  return v || null;
};
