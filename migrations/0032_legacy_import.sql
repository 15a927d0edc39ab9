-- Importing from the old single-installer system (issue 13). An import is
-- a row of `exports` of kind 'import': the owner's upload is checked and
-- planned at once (status 'planned': the dry run, with its counts and the
-- row-by-row plan stored beside the upload), then queued when the owner
-- confirms and run by the same workers with the same lease. The import
-- writes one old customer (with everything hanging off it) per
-- transaction, each recording the old ids it created in `legacy_ids` in
-- the same transaction: a re-run or a resumed run finds them and adds
-- nothing twice, and an interrupted one never leaves half a customer.

alter table exports drop constraint exports_kind_check;
alter table exports add constraint exports_kind_check
  check (kind in ('export', 'backup', 'restore', 'import'));
alter table exports drop constraint exports_status_check;
alter table exports add constraint exports_status_check
  check (status in ('planned', 'queued', 'running', 'ready', 'failed', 'expired'));
grant update (source_label, started_at, attempts) on exports to fence_app;
grant delete on exports to fence_app;
create unique index exports_one_import on exports (org_id)
  where kind = 'import' and status in ('queued', 'running');

-- The old system's ids, per kind, and what each became here (a merged
-- homeowner points at the customer it was merged into; a payment at its
-- job). Photos keep the SHA-256 of the old file for the verification
-- report. An old id counts as imported only while what it became exists
-- (see `legacy_live`): after a restore to before the import, or a record
-- deleted by the office, the next import brings it back and the mapping is
-- updated. A restore leaves these rows alone for that reason.
create table legacy_ids (
  org_id uuid not null references organizations(id) on delete cascade,
  kind text not null check (kind in ('customers', 'properties', 'pets', 'quotes', 'jobs',
                                     'photos', 'payments')),
  old_id text not null check (char_length(old_id) between 1 and 100),
  new_id uuid not null,
  import_id uuid not null,
  sha256 text check (sha256 ~ '^[0-9a-f]{64}$'),
  amount numeric(12, 2),
  created_at timestamptz not null default now(),
  primary key (org_id, kind, old_id)
);
create index legacy_ids_new_idx on legacy_ids (org_id, kind, new_id);
select platform.enable_tenant_rls('legacy_ids');
grant select, insert, update on legacy_ids to fence_app;

-- An address the old system held as one line that could not be split is
-- kept as typed, with no ZIP rather than an invented one; the office fills
-- it in when it next edits the customer.
alter table customers drop constraint customers_zip_check;
alter table customers add constraint customers_zip_check
  check (zip = '' or zip ~ '^[0-9]{5}(-[0-9]{4})?$');
alter table properties drop constraint properties_zip_check;
alter table properties add constraint properties_zip_check
  check (zip = '' or zip ~ '^[0-9]{5}(-[0-9]{4})?$');

-- Whether an old id's record still exists.
create function legacy_live(p_org uuid, p_kind text, p_new uuid)
returns boolean
language sql stable as $$
  select case p_kind
    when 'customers' then exists (select 1 from customers where org_id = p_org and id = p_new)
    when 'properties' then exists (select 1 from properties where org_id = p_org and id = p_new)
    when 'pets' then exists (select 1 from pets where org_id = p_org and id = p_new)
    when 'quotes' then exists (select 1 from quotes where org_id = p_org and id = p_new)
    when 'jobs' then exists (select 1 from jobs where org_id = p_org and id = p_new)
    when 'payments' then exists (select 1 from jobs where org_id = p_org and id = p_new)
    when 'photos' then exists (select 1 from photos where org_id = p_org and id = p_new)
    else false
  end
$$;

-- Dry runs nobody confirmed within a week: the housekeeping round drops
-- them and deletes their uploads.
create function platform.stale_import_plans()
returns table (org_id uuid, id uuid)
language sql stable security definer set search_path = pg_catalog, public as $$
  select e.org_id, e.id from public.exports e
   where e.kind = 'import' and e.status = 'planned' and e.created_at < now() - interval '7 days'
   order by e.created_at
   limit 100
$$;
revoke all on function platform.stale_import_plans() from public;
grant execute on function platform.stale_import_plans() to fence_app;
