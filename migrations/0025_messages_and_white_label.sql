-- Email that leaves the server (SMTP). Each message knows what it is
-- (`kind`), what it is about (the invitation, quote or job it concerns, so
-- its delivery shows there) and whose voice it speaks in (the tenant's
-- company, or the platform's for billing notices). The delivery worker
-- reads the tenant's sender name, Reply-To and brand when it sends.

alter table outbox add column kind text not null default 'other'
  check (kind ~ '^[a-z_]{1,40}$');
alter table outbox add column about_id uuid;
alter table outbox add column voice text not null default 'tenant'
  check (voice in ('tenant', 'platform'));
create index outbox_about_idx on outbox (org_id, about_id, created_at desc) where about_id is not null;

-- A queued notice replaced by a newer one about the same thing (a job moved
-- twice before its notice went out) is never sent.
alter table outbox drop constraint outbox_status_check;
alter table outbox add constraint outbox_status_check
  check (status in ('queued', 'sent', 'failed', 'superseded'));
grant update (status) on outbox to fence_app;

-- A new row wakes the delivery workers (on commit) instead of waiting for
-- their next poll.
create function platform.outbox_wake() returns trigger
language plpgsql as $$
begin
  perform pg_notify('outbox', '');
  return null;
end $$;
create trigger outbox_wake after insert on outbox
  for each statement execute function platform.outbox_wake();

-- Homeowners may turn appointment reminders off (their own quotes and
-- booking notices still go); `reminder_token` is the capability in the
-- reminder's "stop these" link.
alter table customers add column reminders boolean not null default true;
alter table customers add column reminder_token uuid not null default gen_random_uuid();
create unique index customers_reminder_token_key on customers (reminder_token);

-- The day a job's reminder went out for (a moved job gets a new one).
alter table jobs add column reminder_sent_for date;
create index jobs_reminder_idx on jobs (scheduled_for) where status = 'scheduled';

-- White-labelling (Enterprise): the tenant may hide the platform's name,
-- logo and links from everything its team and homeowners see, and set its
-- own favicon. Hidden only while the plan includes white-labelling.
alter table organizations add column hide_platform_brand boolean not null default false;
alter table organizations add column favicon_version int not null default 0;
grant update (hide_platform_brand, favicon_version) on organizations to fence_app;

create table org_favicons (
  org_id uuid primary key references organizations(id) on delete cascade,
  content_type text not null check (content_type in ('image/png', 'image/x-icon')),
  bytes bytea not null check (octet_length(bytes) <= 64 * 1024),
  updated_at timestamptz not null default now()
);
select platform.enable_tenant_rls('org_favicons');
grant select, insert, update, delete on org_favicons to fence_app;

-- The delivery worker's claim now carries the tenant's letterhead.
drop function platform.claim_outbox(int, int);
create function platform.claim_outbox(p_limit int, p_lease_seconds int)
returns table (org_id uuid, id uuid, to_email text, subject text, body text, attempts int,
               kind text, voice text, company_name text, support_email text, brand_color text,
               logo_version int, subdomain text, white_label boolean, custom_domain text)
language sql volatile security definer set search_path = pg_catalog, public as $$
  with due as (
    select o.org_id, o.id from public.outbox o
     where o.status = 'queued' and o.next_attempt_at <= now()
     order by o.next_attempt_at
     limit greatest(p_limit, 1)
     for update skip locked)
  update public.outbox o
     set next_attempt_at = now() + make_interval(secs => p_lease_seconds),
         attempts = o.attempts + 1
    from due join public.organizations g on g.id = due.org_id
   where o.org_id = due.org_id and o.id = due.id
  returning o.org_id, o.id, o.to_email, o.subject, o.body, o.attempts, o.kind, o.voice,
            g.company_name, g.support_email, g.brand_color, g.logo_version, g.subdomain,
            coalesce((g.features->>'white_label')::boolean, false) and g.hide_platform_brand,
            case when g.custom_domain_verified then g.custom_domain end
$$;
revoke all on function platform.claim_outbox(int, int) from public;
grant execute on function platform.claim_outbox(int, int) to fence_app;

-- Scheduled jobs whose day is near `p_today` (UTC) and whose reminder has
-- not gone out for that day, across tenants (the reminder worker then works
-- inside each tenant: its time zone decides whether the day is tomorrow).
create function platform.jobs_to_remind(p_today date)
returns table (org_id uuid, id uuid)
language sql stable security definer set search_path = pg_catalog, public as $$
  select j.org_id, j.id from public.jobs j
    join public.organizations o on o.id = j.org_id
   where j.status = 'scheduled' and o.status <> 'suspended'
     and j.scheduled_for between p_today and p_today + 2
     and j.reminder_sent_for is distinct from j.scheduled_for
$$;
revoke all on function platform.jobs_to_remind(date) from public;
grant execute on function platform.jobs_to_remind(date) to fence_app;

-- Enterprise: the business's own wording of its homeowner-facing emails
-- (checked by the application: known placeholders only, the required link
-- kept; rendered as text, never markup).
create table email_templates (
  org_id uuid not null references organizations(id) on delete cascade,
  kind text not null check (kind in ('quote_sent', 'job_scheduled', 'job_rescheduled', 'reminder')),
  subject text not null check (char_length(subject) between 1 and 200),
  body text not null check (char_length(body) between 1 and 5000),
  updated_by uuid,
  updated_at timestamptz not null default now(),
  primary key (org_id, kind),
  foreign key (org_id, updated_by) references users(org_id, id) on delete set null (updated_by)
);
select platform.enable_tenant_rls('email_templates');
grant select, insert, update, delete on email_templates to fence_app;
