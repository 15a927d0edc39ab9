-- Battery visits: a receiver collar's battery lasts about three months, so
-- every fitted collar is a short visit that comes round again. A visit is a
-- job of kind 'battery' (booked, routed, worked and shown on the crew's
-- phone like any job) with no quote; `pet_ids` lists the pets it is for,
-- and completing it records the new batteries' date on them.
alter table jobs
  add column kind text not null default 'install' check (kind in ('install', 'battery')),
  add column pet_ids uuid[] not null default '{}' check (cardinality(pet_ids) <= 50),
  alter column quote_id drop not null,
  add constraint jobs_kind_quote check ((kind = 'install') = (quote_id is not null));

-- One open battery visit per property at a time: booking it twice (two
-- dispatchers, a double click) is refused by the database itself.
create unique index jobs_open_battery_visit_idx on jobs (org_id, property_id)
  where kind = 'battery' and status in ('approved', 'scheduled', 'in_progress');
