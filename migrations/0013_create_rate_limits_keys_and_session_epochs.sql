-- Hardening the platform core (issue 8).
--
-- Rate limits: one row per key (an account on a device, an account from
-- untrusted clients, a client network), holding the "theoretical arrival
-- time" of the generic cell rate algorithm. One upsert both counts an
-- attempt and decides it, so concurrent attempts are counted one at a time
-- (the old table was checked, then written: a burst all passed the check).
create table platform.rate_limits (
  key text primary key,
  tat timestamptz not null
);
create index rate_limits_tat_idx on platform.rate_limits (tat);
grant select, insert, update, delete on platform.rate_limits to fence_app;
drop table platform.login_failures;

-- Server-side secrets shared by every instance (the key that signs device
-- cookies). `fence migrate` fills them with random bytes; the app reads them.
create table platform.secrets (
  name text primary key,
  value bytea not null check (octet_length(value) >= 32),
  created_at timestamptz not null default now()
);
grant select on platform.secrets to fence_app;

-- A session is valid only while the epoch it was made at is the user's
-- current one: a password reset or a role change bumps the epoch and so
-- ends every session at once.
alter table users add column session_epoch int not null default 0;

-- The serving process checks at start that the schema is the one it was
-- built for.
grant select on _sqlx_migrations to fence_app;
