-- Crews and the schedule: who does the work, when they work, and when each
-- job is booked. Times are stored in UTC (`jobs.starts_at`) and chosen and
-- shown in the tenant's time zone, so a daylight-saving change never moves
-- an appointment.

create table crews (
  org_id uuid not null references organizations(id) on delete cascade,
  id uuid not null,
  name text not null check (char_length(name) between 1 and 60),
  color text not null check (color ~ '^#[0-9a-f]{6}$'),
  -- The vehicle's fuel economy, miles per gallon.
  mpg numeric(5,1) not null default 15 check (mpg > 0 and mpg <= 150),
  -- Where the day starts and ends; null: the depot from the price book.
  start_lat double precision check (start_lat between -90 and 90),
  start_lon double precision check (start_lon between -180 and 180),
  end_lat double precision check (end_lat between -90 and 90),
  end_lon double precision check (end_lon between -180 and 180),
  -- Working hours per weekday, Monday first: seven entries, each null (not
  -- working) or [start minute, end minute] of the local day.
  hours jsonb not null check (jsonb_typeof(hours) = 'array' and jsonb_array_length(hours) = 7),
  days_off date[] not null default '{}' check (cardinality(days_off) <= 366),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, id),
  constraint crews_org_id_name_key unique (org_id, name)
);
select platform.enable_tenant_rls('crews');
grant select, insert, update, delete on crews to fence_app;

create table crew_members (
  org_id uuid not null,
  crew_id uuid not null,
  user_id uuid not null,
  primary key (org_id, crew_id, user_id),
  foreign key (org_id, crew_id) references crews(org_id, id) on delete cascade,
  foreign key (org_id, user_id) references users(org_id, id) on delete cascade
);
create index crew_members_user_idx on crew_members (org_id, user_id);
select platform.enable_tenant_rls('crew_members');
grant select, insert, delete on crew_members to fence_app;

-- A job's booking: the crew, the start (UTC) and how long it takes; and
-- the customer's window (any time, mornings only, afternoons only).
alter table jobs
  add column crew_id uuid,
  add column starts_at timestamptz,
  add column duration_minutes int not null default 240
    check (duration_minutes between 15 and 1440 and duration_minutes % 15 = 0),
  add column time_window text not null default 'any'
    check (time_window in ('any', 'morning', 'afternoon')),
  add constraint jobs_booking_whole check ((crew_id is null) = (starts_at is null)),
  -- Removing a crew first takes its jobs off the board (with history), so
  -- nothing points at it when it goes.
  add constraint jobs_crew_fkey foreign key (org_id, crew_id) references crews(org_id, id);
create index jobs_crew_day_idx on jobs (org_id, crew_id, starts_at) where crew_id is not null;

-- Existing jobs: the duration from their quote's labour hours (rounded up
-- to a quarter hour, at least an hour).
update jobs j
   set duration_minutes = least(1440, greatest(60,
         (ceil(coalesce((v.takeoff ->> 'labour_hours')::numeric, 4) * 4) * 15)::int))
  from quotes q
  join quote_versions v on v.org_id = q.org_id and v.quote_id = q.id and v.version = q.version
 where q.org_id = j.org_id and q.id = j.quote_id;
