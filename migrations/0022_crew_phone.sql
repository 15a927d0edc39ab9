-- The crew's phone: what a crew needs at the gate, the job's checklist, and
-- the actions a phone sends (again) after being offline.

-- Gate code, where to park, the dog that bites: read at the gate, apart from
-- the property's general notes.
alter table properties
  add column gate_notes text not null default '' check (length(gate_notes) <= 500);

-- The checklist items ticked on a job (their keys; the list itself is the
-- trade's, in the application), and who ticked the last one when.
alter table jobs
  add column checklist_done text[] not null default '{}'
    check (cardinality(checklist_done) <= 50);

-- Each action a phone sends carries an id it chose once; an action whose id
-- is already here was applied before (a retry after a lost answer, a queue
-- sent twice) and is not applied again. Written in the same transaction as
-- the action itself.
create table client_ops (
  org_id uuid not null references organizations(id) on delete cascade,
  op_id uuid not null,
  user_id uuid,
  kind text not null check (kind in ('transition', 'photos', 'checklist')),
  job_id uuid,
  applied_at timestamptz not null default now(),
  primary key (org_id, op_id),
  foreign key (org_id, user_id) references users(org_id, id) on delete set null (user_id),
  foreign key (org_id, job_id) references jobs(org_id, id) on delete cascade
);
select platform.enable_tenant_rls('client_ops');
grant select, insert on client_ops to fence_app;
