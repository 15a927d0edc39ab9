-- Custom domains (the $10 add-on): a tenant names a domain, proves it
-- controls it (a TXT record with a token) and points it at the platform (a
-- CNAME); only then does the host serve the tenant. The tenant cannot mark
-- its own domain verified: the two functions below are the only writers,
-- each confined to the transaction's tenant.

alter table organizations add column custom_domain_token text;
alter table organizations add column custom_domain_checked_at timestamptz;
alter table organizations add column custom_domain_error text;

-- Several tenants may claim a name while they set it up; only one can hold
-- it verified (the TXT token proves who controls it).
drop index organizations_custom_domain_key;
create unique index organizations_custom_domain_key on organizations (custom_domain)
  where custom_domain_verified;

create function platform.set_custom_domain(p_org uuid, p_domain text, p_token text)
returns void
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  if p_org is null or current_setting('app.current_tenant', true) is distinct from p_org::text then
    raise exception 'a domain may only change for the tenant of the transaction' using errcode = '42501';
  end if;
  update public.organizations
     set custom_domain = p_domain, custom_domain_token = p_token, custom_domain_verified = false,
         custom_domain_checked_at = null, custom_domain_error = null
   where id = p_org;
end $$;

-- Records a DNS check of the domain the tenant still has; verified only if
-- no other tenant holds the name verified.
create function platform.record_domain_check(p_org uuid, p_domain text, p_verified boolean, p_error text)
returns boolean
language plpgsql security definer set search_path = pg_catalog, public as $$
declare
  taken boolean;
begin
  if p_org is null or current_setting('app.current_tenant', true) is distinct from p_org::text then
    raise exception 'a domain may only change for the tenant of the transaction' using errcode = '42501';
  end if;
  select exists (select 1 from public.organizations
                  where custom_domain = p_domain and custom_domain_verified and id <> p_org) into taken;
  update public.organizations
     set custom_domain_verified = p_verified and not taken,
         custom_domain_checked_at = now(),
         custom_domain_error = case when taken then 'Another workspace already uses this domain.'
                                    else p_error end
   where id = p_org and custom_domain = p_domain;
  return p_verified and not taken;
end $$;

revoke all on function platform.set_custom_domain(uuid, text, text),
  platform.record_domain_check(uuid, text, boolean, text) from public;
grant execute on function platform.set_custom_domain(uuid, text, text),
  platform.record_domain_check(uuid, text, boolean, text) to fence_app;
