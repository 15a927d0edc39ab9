-- The tenant's time zone (an IANA name, e.g. America/Chicago): every time
-- is stored in UTC and shown in it. Null: follow the home state's zone.
alter table organizations
  add column time_zone text check (time_zone ~ '^[A-Za-z_]+(/[A-Za-z_]+)+$' and char_length(time_zone) <= 64);
grant update (time_zone) on organizations to fence_app;
