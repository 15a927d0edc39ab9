-- The session store (tower-sessions' PostgreSQL layout). A session records
-- which organization it was made for; the server rejects it on any other host.
create table tower_sessions.session (
  id text primary key not null,
  data bytea not null,
  expiry_date timestamptz not null
);
create index session_expiry_idx on tower_sessions.session (expiry_date);
grant select, insert, update, delete on tower_sessions.session to fence_app;

-- Failed logins, per account and per client, counted over a sliding window.
-- Kept in PostgreSQL so every server instance sees the same counts.
create table platform.login_failures (
  key text not null,
  failed_at timestamptz not null default now()
);
create index login_failures_key_idx on platform.login_failures (key, failed_at);
grant select, insert, delete on platform.login_failures to fence_app;
