-- Who did what, when. Grows with activity, so it is hash-partitioned on
-- org_id into a fixed set of partitions (no DDL per tenant). Every partition
-- carries the same forced policies; the app may touch only the parent.
create table audit_events (
  org_id uuid not null,
  id uuid not null,
  actor_id uuid,
  action text not null,
  subject_id uuid,
  detail jsonb not null default '{}',
  at timestamptz not null default now(),
  primary key (org_id, id)
) partition by hash (org_id);

do $$
begin
  for i in 0..7 loop
    execute format('create table audit_events_p%s partition of audit_events for values with (modulus 8, remainder %s)', i, i);
    perform platform.enable_tenant_rls(format('audit_events_p%s', i)::regclass);
    execute format('revoke all on audit_events_p%s from fence_app, public', i);
  end loop;
end $$;
select platform.enable_tenant_rls('audit_events');
create index audit_events_at_idx on audit_events (org_id, at desc);
grant select, insert on audit_events to fence_app;
