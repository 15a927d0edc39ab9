-- The tables that grow with activity (jobs, job events, photos, quote
-- versions) become hash-partitioned on org_id into 8 fixed partitions, as
-- the architecture says and as audit_events already is: provisioning still
-- runs no DDL, and every partition carries the forced tenant policies with
-- no grant to the application role. Existing rows are carried over.

-- 1. The old tables step aside, their index names with them.
alter table photos rename to photos_old;
alter table photos_old rename constraint photos_pkey to photos_old_pkey;
alter index photos_job_idx rename to photos_old_job_idx;
alter table job_events rename to job_events_old;
alter table job_events_old rename constraint job_events_pkey to job_events_old_pkey;
alter index job_events_job_idx rename to job_events_old_job_idx;
alter table jobs rename to jobs_old;
alter table jobs_old rename constraint jobs_pkey to jobs_old_pkey;
alter table jobs_old rename constraint jobs_org_id_number_key to jobs_old_org_id_number_key;
alter table jobs_old rename constraint jobs_org_id_quote_id_key to jobs_old_org_id_quote_id_key;
alter index jobs_created_idx rename to jobs_old_created_idx;
alter index jobs_status_idx rename to jobs_old_status_idx;
alter table quote_versions rename to quote_versions_old;
alter table quote_versions_old rename constraint quote_versions_pkey to quote_versions_old_pkey;

-- 2. The partitioned tables, with the same columns, keys and rules.
create table quote_versions (
  org_id uuid not null,
  quote_id uuid not null,
  version int not null,
  drawing jsonb not null,
  terms jsonb not null,
  takeoff jsonb not null,
  priced jsonb not null,
  total numeric(12,2) not null,
  created_by uuid,
  created_at timestamptz not null default now(),
  constraint quote_versions_pkey primary key (org_id, quote_id, version),
  constraint quote_versions_org_id_quote_id_fkey foreign key (org_id, quote_id)
    references quotes(org_id, id) on delete cascade
) partition by hash (org_id);

create table jobs (
  org_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  number int not null check (number > 0),
  quote_id uuid not null,
  property_id uuid not null,
  customer_id uuid not null,
  status text not null check (status in ('lead', 'quoted', 'approved', 'scheduled', 'in_progress',
                                          'completed', 'invoiced', 'paid', 'cancelled')),
  scheduled_for date,
  total numeric(12,2) not null,
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint jobs_pkey primary key (org_id, id),
  constraint jobs_org_id_number_key unique (org_id, number),
  constraint jobs_org_id_quote_id_key unique (org_id, quote_id),
  foreign key (org_id, quote_id) references quotes(org_id, id),
  foreign key (org_id, property_id) references properties(org_id, id),
  foreign key (org_id, customer_id) references customers(org_id, id),
  foreign key (org_id, created_by) references users(org_id, id) on delete set null (created_by)
) partition by hash (org_id);

create table job_events (
  org_id uuid not null,
  id uuid not null,
  job_id uuid not null,
  from_status text,
  to_status text not null,
  by_user uuid,
  note text not null default '',
  at timestamptz not null default clock_timestamp(),
  constraint job_events_pkey primary key (org_id, id),
  foreign key (org_id, job_id) references jobs(org_id, id) on delete cascade,
  foreign key (org_id, by_user) references users(org_id, id) on delete set null (by_user)
) partition by hash (org_id);

create table photos (
  org_id uuid not null,
  id uuid not null,
  job_id uuid not null,
  kind text not null check (kind in ('before', 'after')),
  content_type text not null check (content_type in ('image/jpeg', 'image/png', 'image/webp')),
  size_bytes int not null check (size_bytes > 0),
  width int not null,
  height int not null,
  taken_at timestamptz,
  lat double precision,
  lon double precision,
  uploaded_by uuid,
  created_at timestamptz not null default now(),
  thumb_bytes int not null default 0 check (thumb_bytes >= 0),
  constraint photos_pkey primary key (org_id, id),
  foreign key (org_id, job_id) references jobs(org_id, id) on delete cascade,
  foreign key (org_id, uploaded_by) references users(org_id, id) on delete set null (uploaded_by)
) partition by hash (org_id);

do $$
declare
  t text;
begin
  foreach t in array array['quote_versions', 'jobs', 'job_events', 'photos'] loop
    for i in 0..7 loop
      execute format('create table %I partition of %I for values with (modulus 8, remainder %s)',
                     t || '_p' || i, t, i);
      perform platform.enable_tenant_rls(format('%I', t || '_p' || i)::regclass);
      execute format('revoke all on %I from fence_app, public', t || '_p' || i);
    end loop;
    perform platform.enable_tenant_rls(t::regclass);
  end loop;
end $$;

create index jobs_created_idx on jobs (org_id, created_at);
create index jobs_status_idx on jobs (org_id, status, updated_at desc);
create index job_events_job_idx on job_events (org_id, job_id, at);
create index photos_job_idx on photos (org_id, job_id, created_at);

grant select, insert on quote_versions to fence_app;
grant select, insert, update on jobs to fence_app;
grant select, insert on job_events to fence_app;
grant select, insert, delete on photos to fence_app;

-- 3. The rows move over, and the old tables go.
insert into quote_versions (org_id, quote_id, version, drawing, terms, takeoff, priced, total, created_by, created_at)
  select org_id, quote_id, version, drawing, terms, takeoff, priced, total, created_by, created_at
    from quote_versions_old;
insert into jobs (org_id, id, number, quote_id, property_id, customer_id, status, scheduled_for, total,
                  created_by, created_at, updated_at)
  select org_id, id, number, quote_id, property_id, customer_id, status, scheduled_for, total,
         created_by, created_at, updated_at
    from jobs_old;
insert into job_events (org_id, id, job_id, from_status, to_status, by_user, note, at)
  select org_id, id, job_id, from_status, to_status, by_user, note, at from job_events_old;
insert into photos (org_id, id, job_id, kind, content_type, size_bytes, width, height, taken_at, lat, lon,
                    uploaded_by, created_at, thumb_bytes)
  select org_id, id, job_id, kind, content_type, size_bytes, width, height, taken_at, lat, lon,
         uploaded_by, created_at, thumb_bytes
    from photos_old;

drop table photos_old;
drop table job_events_old;
drop table jobs_old;
drop table quote_versions_old;
