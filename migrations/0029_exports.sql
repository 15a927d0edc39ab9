-- Exports and cloud backups (issue 13). An owner or admin asks for an
-- export; a worker builds the archive (CSV files, one SQLite file, the
-- photos and a manifest with checksums) from one consistent snapshot of the
-- tenant's rows, stores it under the tenant's prefix in object storage and
-- marks it ready. Growth and Enterprise workspaces also get a daily backup
-- (the same archive), kept for a configurable number of days.
--
-- A worker claims a row with a lease; a worker that dies leaves the lease
-- to run out, and the next one starts the archive again from scratch (a
-- half-built archive is never stored), up to three attempts.

create table exports (
  org_id uuid not null references organizations(id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  kind text not null check (kind in ('export', 'backup')),
  status text not null default 'queued'
    check (status in ('queued', 'running', 'ready', 'failed', 'expired')),
  requested_by uuid,
  done int not null default 0 check (done >= 0),
  total int not null default 0 check (total >= 0),
  attempts int not null default 0,
  lease_until timestamptz,
  size_bytes bigint check (size_bytes >= 0),
  sha256 text check (sha256 ~ '^[0-9a-f]{64}$'),
  photos int check (photos >= 0),
  photos_missing int check (photos_missing >= 0),
  error text check (char_length(error) <= 500),
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  expires_at timestamptz,
  primary key (org_id, id),
  foreign key (org_id, requested_by) references users(org_id, id) on delete set null (requested_by)
);
-- One export at a time per workspace (a second request while one is being
-- built is refused, not queued twice).
create unique index exports_one_running on exports (org_id)
  where kind = 'export' and status in ('queued', 'running');
create unique index exports_one_backup_running on exports (org_id)
  where kind = 'backup' and status in ('queued', 'running');
create index exports_recent_idx on exports (org_id, created_at desc);
create index exports_due_idx on exports (created_at) where status in ('queued', 'running');
select platform.enable_tenant_rls('exports');
grant select, insert on exports to fence_app;
grant update (status, done, total, lease_until, size_bytes, sha256, photos, photos_missing,
              error, finished_at, expires_at) on exports to fence_app;

-- The worker's claim: the oldest queued export, or a running one whose
-- worker stopped renewing its lease. A fourth attempt is not made: the
-- export is marked failed instead.
create function platform.claim_export(p_lease_seconds int)
returns table (org_id uuid, id uuid, kind text, attempts int)
language plpgsql volatile security definer set search_path = pg_catalog, public as $$
begin
  update public.exports e
     set status = 'failed', finished_at = now(), lease_until = null,
         error = 'The archive could not be built after three attempts.'
   where e.status = 'running' and e.lease_until < now() and e.attempts >= 3;
  return query
  with due as (
    select e.org_id, e.id from public.exports e
     where e.status = 'queued' or (e.status = 'running' and e.lease_until < now())
     order by e.created_at
     limit 1
     for update skip locked)
  update public.exports e
     set status = 'running', attempts = e.attempts + 1, done = 0,
         started_at = now(), lease_until = now() + make_interval(secs => p_lease_seconds)
    from due
   where e.org_id = due.org_id and e.id = due.id
  returning e.org_id, e.id, e.kind, e.attempts;
end $$;

-- Daily backups: one for every active Growth or Enterprise workspace whose
-- last backup is older than a day (or that has none). Returns how many
-- were queued.
create function platform.queue_backups()
returns int
language plpgsql volatile security definer set search_path = pg_catalog, public as $$
declare
  n int;
begin
  insert into public.exports (org_id, kind)
  select o.id, 'backup' from public.organizations o
   where o.plan in ('growth', 'enterprise')
     and o.status in ('active', 'trialing', 'past_due')
     and o.deletion_due_at is null
     and not exists (
       select 1 from public.exports e
        where e.org_id = o.id and e.kind = 'backup'
          and (e.status in ('queued', 'running') or e.created_at > now() - interval '23 hours'))
  on conflict do nothing;
  get diagnostics n = row_count;
  return n;
end $$;

-- Archives past their keeping time, for the worker to delete from storage
-- (then it marks them expired, as the tenant).
create function platform.expired_exports()
returns table (org_id uuid, id uuid)
language sql stable security definer set search_path = pg_catalog, public as $$
  select e.org_id, e.id from public.exports e
   where e.status = 'ready' and e.expires_at <= now()
   order by e.expires_at
   limit 500
$$;

revoke all on function platform.claim_export(int), platform.queue_backups(),
  platform.expired_exports() from public;
grant execute on function platform.claim_export(int), platform.queue_backups(),
  platform.expired_exports() to fence_app;

-- A new export wakes the workers on commit.
create function platform.export_wake() returns trigger
language plpgsql as $$
begin
  perform pg_notify('exports', '');
  return null;
end $$;
create trigger export_wake after insert on exports
  for each statement execute function platform.export_wake();
