-- Delivering the outbox. A worker claims due messages (skip locked, with a
-- lease, so several instances never send one twice), delivers them, and
-- then keeps only a redacted body: no link with a token survives delivery.

alter table outbox add column status text not null default 'queued'
  check (status in ('queued', 'sent', 'failed'));
alter table outbox add column attempts int not null default 0;
alter table outbox add column next_attempt_at timestamptz not null default now();
alter table outbox add column last_error text;
create index outbox_due_idx on outbox (next_attempt_at) where status = 'queued';

-- Mail queued before delivery existed was only ever written to the log;
-- its links are not kept.
update outbox set status = 'failed', last_error = 'queued before delivery existed',
       body = '[not delivered; content removed]'
 where sent_at is null;

-- The worker's cross-tenant path (all three are the whole surface).
create function platform.claim_outbox(p_limit int, p_lease_seconds int)
returns table (org_id uuid, id uuid, to_email text, subject text, body text, attempts int)
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
    from due where o.org_id = due.org_id and o.id = due.id
  returning o.org_id, o.id, o.to_email, o.subject, o.body, o.attempts
$$;

create function platform.outbox_delivered(p_org_id uuid, p_id uuid, p_redacted_body text)
returns void
language sql volatile security definer set search_path = pg_catalog, public as $$
  update public.outbox set status = 'sent', sent_at = now(), body = p_redacted_body, last_error = null
   where org_id = p_org_id and id = p_id
$$;

-- A null retry means the failure is permanent.
create function platform.outbox_failed(p_org_id uuid, p_id uuid, p_error text, p_retry_seconds int)
returns void
language sql volatile security definer set search_path = pg_catalog, public as $$
  update public.outbox
     set last_error = left(p_error, 500),
         status = case when p_retry_seconds is null then 'failed' else 'queued' end,
         next_attempt_at = now() + make_interval(secs => coalesce(p_retry_seconds, 0)),
         body = case when p_retry_seconds is null then '[not delivered; content removed]' else body end
   where org_id = p_org_id and id = p_id
$$;

revoke all on function platform.claim_outbox(int, int), platform.outbox_delivered(uuid, uuid, text),
  platform.outbox_failed(uuid, uuid, text, int) from public;
grant execute on function platform.claim_outbox(int, int), platform.outbox_delivered(uuid, uuid, text),
  platform.outbox_failed(uuid, uuid, text, int) to fence_app;
