-- Restoring a workspace from an archive (issue 13): one of its own
-- exports or daily backups, or an archive file uploaded by the owner (from
-- this installation or another). A restore is a row of `exports` of kind
-- 'restore', claimed by the same workers with the same lease; the rows
-- return to the archive's point in one transaction, which also marks the
-- restore done, so a worker that dies half-way leaves nothing changed and
-- the next attempt starts again.

alter table exports drop constraint exports_kind_check;
alter table exports add constraint exports_kind_check
  check (kind in ('export', 'backup', 'restore'));
-- A restore's source: one of the workspace's archives, or (null) an
-- uploaded file kept under the restore's own id until it has run.
alter table exports add column source_id uuid;
alter table exports add column source_label text check (char_length(source_label) <= 200);
-- What a restore put back (per table), or what an archive holds (its row
-- counts, for the confirmation before a restore).
alter table exports add column counts jsonb;
alter table exports add column report jsonb;
grant update (counts, report) on exports to fence_app;
create unique index exports_one_restore on exports (org_id)
  where kind = 'restore' and status in ('queued', 'running');

-- Empties the workspace's business data before the archive's rows go in:
-- customers, properties, pets, quotes (and their versions and links), jobs
-- (their history, photos and the crew phones' applied operations), crews,
-- routes, zone prices and email templates. The team, the subscription,
-- invoices, texts, opt-outs and the activity log stay. Only for the
-- transaction's own tenant; the caller's transaction is the restore's.
create function platform.clear_tenant_data(p_org uuid)
returns void
language plpgsql volatile security definer set search_path = pg_catalog, public as $$
begin
  if p_org is null or current_setting('app.current_tenant', true) is distinct from p_org::text then
    raise exception 'clear_tenant_data: not this transaction''s tenant' using errcode = '42501';
  end if;
  delete from public.photos where org_id = p_org;
  delete from public.job_events where org_id = p_org;
  delete from public.client_ops where org_id = p_org;
  delete from public.jobs where org_id = p_org;
  delete from public.quote_links where org_id = p_org;
  delete from public.quote_versions where org_id = p_org;
  delete from public.quotes where org_id = p_org;
  delete from public.pets where org_id = p_org;
  delete from public.properties where org_id = p_org;
  delete from public.customers where org_id = p_org;
  delete from public.route_savings where org_id = p_org;
  delete from public.crew_members where org_id = p_org;
  delete from public.crews where org_id = p_org;
  delete from public.zone_overrides where org_id = p_org;
  delete from public.email_templates where org_id = p_org;
end $$;

-- Numbers that replied STOP in the archive stay opted out here (a STOP is
-- never undone by a restore; numbers opted out since are kept too).
create function platform.restore_opt_outs(p_org uuid, p_phones text[], p_at timestamptz[])
returns int
language plpgsql volatile security definer set search_path = pg_catalog, public as $$
declare
  n int;
begin
  if p_org is null or current_setting('app.current_tenant', true) is distinct from p_org::text then
    raise exception 'restore_opt_outs: not this transaction''s tenant' using errcode = '42501';
  end if;
  insert into public.sms_opt_outs (org_id, phone, opted_out_at)
  select p_org, p.phone, p.at from unnest(p_phones, p_at) as p(phone, at)
   where p.phone ~ '^\+[1-9][0-9]{7,14}$'
  on conflict do nothing;
  get diagnostics n = row_count;
  return n;
end $$;

revoke all on function platform.clear_tenant_data(uuid),
  platform.restore_opt_outs(uuid, text[], timestamptz[]) from public;
grant execute on function platform.clear_tenant_data(uuid),
  platform.restore_opt_outs(uuid, text[], timestamptz[]) to fence_app;
