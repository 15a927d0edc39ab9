-- What optimising a crew's day saved: the miles, fuel and money between the
-- order as booked and the order applied. One row per crew and day (the
-- latest optimisation of that day counts); the dashboard sums the month.
create table route_savings (
  org_id uuid not null,
  crew_id uuid not null,
  day date not null,
  miles_before double precision not null check (miles_before >= 0),
  miles_after double precision not null check (miles_after >= 0),
  gallons_saved double precision not null,
  dollars_saved double precision not null,
  by_user uuid,
  optimised_at timestamptz not null default now(),
  primary key (org_id, crew_id, day),
  foreign key (org_id, crew_id) references crews(org_id, id) on delete cascade,
  foreign key (org_id, by_user) references users(org_id, id) on delete set null (by_user)
);
select platform.enable_tenant_rls('route_savings');
grant select, insert, update on route_savings to fence_app;
