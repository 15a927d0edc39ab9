-- Text messages (the SMS add-on). Each message is queued in the transaction
-- of what caused it, like email, and sent by a worker through the provider
-- (Twilio). The recipient's number is stored in E.164, with the time zone
-- its quiet hours are kept in; `segments` is what the provider bills.

create table sms_messages (
  org_id uuid not null references organizations(id) on delete cascade,
  id uuid not null default gen_random_uuid(),
  to_phone text not null check (to_phone ~ '^\+[1-9][0-9]{7,14}$'),
  body text not null check (char_length(body) between 1 and 1600),
  kind text not null check (kind in ('reminder', 'on_the_way', 'quote_link', 'battery_due')),
  about_id uuid,
  zone text not null check (char_length(zone) between 1 and 64),
  segments int not null check (segments between 1 and 20),
  status text not null default 'queued'
    check (status in ('queued', 'sent', 'delivered', 'failed', 'superseded')),
  attempts int not null default 0,
  next_attempt_at timestamptz not null default now(),
  provider_sid text check (provider_sid ~ '^[A-Za-z0-9]{1,64}$'),
  error text check (char_length(error) <= 500),
  created_by uuid,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  primary key (org_id, id),
  foreign key (org_id, created_by) references users(org_id, id) on delete set null (created_by)
);
create index sms_messages_due_idx on sms_messages (next_attempt_at) where status = 'queued';
create index sms_messages_recent_idx on sms_messages (org_id, created_at desc);
create index sms_messages_about_idx on sms_messages (org_id, about_id, kind, created_at desc)
  where about_id is not null;
create index sms_messages_phone_idx on sms_messages (to_phone);
create unique index sms_messages_sid_key on sms_messages (provider_sid) where provider_sid is not null;
select platform.enable_tenant_rls('sms_messages');
grant select, insert on sms_messages to fence_app;

-- Numbers that replied STOP to this tenant's texts (or that the provider
-- says have opted out). Only the homeowner lifts one, by replying START:
-- the office cannot.
create table sms_opt_outs (
  org_id uuid not null references organizations(id) on delete cascade,
  phone text not null check (phone ~ '^\+[1-9][0-9]{7,14}$'),
  opted_out_at timestamptz not null default now(),
  primary key (org_id, phone)
);
select platform.enable_tenant_rls('sms_opt_outs');
grant select on sms_opt_outs to fence_app;

-- The delivery worker's claim (skip locked, with a lease, so several
-- instances never send one twice) of texts due at `p_now` (the worker's
-- clock: the tests replay a night and a morning), with what it must know: the
-- recipient's zone (quiet hours) and whether they have opted out since the
-- message was queued.
create function platform.claim_sms(p_limit int, p_lease_seconds int, p_now timestamptz)
returns table (org_id uuid, id uuid, to_phone text, body text, attempts int, kind text,
               zone text, opted_out boolean)
language sql volatile security definer set search_path = pg_catalog, public as $$
  with due as (
    select m.org_id, m.id from public.sms_messages m
     where m.status = 'queued' and m.next_attempt_at <= p_now
     order by m.next_attempt_at
     limit greatest(p_limit, 1)
     for update skip locked)
  update public.sms_messages m
     set next_attempt_at = p_now + make_interval(secs => p_lease_seconds),
         attempts = m.attempts + 1
    from due
   where m.org_id = due.org_id and m.id = due.id
  returning m.org_id, m.id, m.to_phone, m.body, m.attempts, m.kind, m.zone,
            exists (select 1 from public.sms_opt_outs x
                     where x.org_id = m.org_id and x.phone = m.to_phone)
$$;

create function platform.sms_sent(p_org_id uuid, p_id uuid, p_sid text, p_segments int)
returns void
language sql volatile security definer set search_path = pg_catalog, public as $$
  update public.sms_messages
     set status = 'sent', sent_at = now(), provider_sid = p_sid, error = null,
         segments = coalesce(p_segments, segments)
   where org_id = p_org_id and id = p_id and status = 'queued'
$$;

-- A null retry time means the failure is permanent; `p_opt_out` records
-- that the provider refused because the recipient opted out.
create function platform.sms_failed(p_org_id uuid, p_id uuid, p_error text,
                                    p_retry_at timestamptz, p_opt_out boolean)
returns void
language plpgsql volatile security definer set search_path = pg_catalog, public as $$
declare
  v_phone text;
begin
  update public.sms_messages
     set error = left(p_error, 500),
         status = case when p_retry_at is null then 'failed' else 'queued' end,
         next_attempt_at = coalesce(p_retry_at, now())
   where org_id = p_org_id and id = p_id and status = 'queued'
  returning to_phone into v_phone;
  if p_opt_out and v_phone is not null then
    insert into public.sms_opt_outs (org_id, phone) values (p_org_id, v_phone)
    on conflict do nothing;
  end if;
end $$;

-- Quiet hours: the message waits until `p_at` (its claim's attempt not
-- counted).
create function platform.sms_hold(p_org_id uuid, p_id uuid, p_at timestamptz)
returns void
language sql volatile security definer set search_path = pg_catalog, public as $$
  update public.sms_messages
     set next_attempt_at = p_at, attempts = greatest(attempts - 1, 0)
   where org_id = p_org_id and id = p_id and status = 'queued'
$$;

-- A reply from `p_phone` to the platform's number: STOP records an opt-out
-- and START lifts it, in every tenant that has texted that number (the
-- provider blocks the sending number for that recipient, whoever sent);
-- tenants that never texted it learn nothing. Returns the tenants changed.
create function platform.sms_reply(p_phone text, p_stop boolean)
returns int
language plpgsql volatile security definer set search_path = pg_catalog, public as $$
declare
  n int;
begin
  if p_stop then
    insert into public.sms_opt_outs (org_id, phone)
    select distinct m.org_id, p_phone from public.sms_messages m where m.to_phone = p_phone
    on conflict do nothing;
    get diagnostics n = row_count;
    -- Nothing queued for that number goes any more.
    update public.sms_messages set status = 'failed', error = 'The recipient replied STOP.'
     where to_phone = p_phone and status = 'queued';
  else
    delete from public.sms_opt_outs x
     where x.phone = p_phone
       and exists (select 1 from public.sms_messages m
                    where m.org_id = x.org_id and m.to_phone = p_phone);
    get diagnostics n = row_count;
  end if;
  return n;
end $$;

-- Who a homeowner's reply (not STOP or START) goes to: the tenant that
-- texted that number last, within 30 days, and the member who sent it.
create function platform.sms_reply_to(p_phone text)
returns table (org_id uuid, created_by uuid)
language sql stable security definer set search_path = pg_catalog, public as $$
  select m.org_id, m.created_by from public.sms_messages m
   where m.to_phone = p_phone and m.created_at > now() - interval '30 days'
     and m.status <> 'superseded'
   order by m.created_at desc limit 1
$$;

-- The provider's delivery report for a message it accepted.
create function platform.sms_status(p_sid text, p_status text, p_error text, p_opt_out boolean)
returns boolean
language plpgsql volatile security definer set search_path = pg_catalog, public as $$
declare
  v_org uuid;
  v_phone text;
begin
  update public.sms_messages
     set status = case when p_status = 'delivered' then 'delivered'
                       when p_status in ('failed', 'undelivered') then 'failed'
                       else status end,
         error = case when p_status in ('failed', 'undelivered') then left(p_error, 500) else error end
   where provider_sid = p_sid and status in ('sent', 'delivered')
  returning org_id, to_phone into v_org, v_phone;
  if v_org is null then
    return false;
  end if;
  if p_opt_out then
    insert into public.sms_opt_outs (org_id, phone) values (v_org, v_phone)
    on conflict do nothing;
  end if;
  return true;
end $$;

revoke all on function platform.claim_sms(int, int, timestamptz), platform.sms_sent(uuid, uuid, text, int),
  platform.sms_failed(uuid, uuid, text, timestamptz, boolean), platform.sms_hold(uuid, uuid, timestamptz),
  platform.sms_reply(text, boolean), platform.sms_status(text, text, text, boolean),
  platform.sms_reply_to(text) from public;
grant execute on function platform.claim_sms(int, int, timestamptz), platform.sms_sent(uuid, uuid, text, int),
  platform.sms_failed(uuid, uuid, text, timestamptz, boolean), platform.sms_hold(uuid, uuid, timestamptz),
  platform.sms_reply(text, boolean), platform.sms_status(text, text, text, boolean),
  platform.sms_reply_to(text) to fence_app;

-- A new message wakes the SMS workers on commit.
create function platform.sms_wake() returns trigger
language plpgsql as $$
begin
  perform pg_notify('sms', '');
  return null;
end $$;
create trigger sms_wake after insert on sms_messages
  for each statement execute function platform.sms_wake();
