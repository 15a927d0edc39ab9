-- The cell directory: which cell (a PostgreSQL cluster and its app
-- instances) each tenant lives in. Shared by every cell; holds no tenant
-- data beyond a subdomain and an id.
create table cells (
    name text primary key check (name ~ '^[a-z0-9-]{1,40}$'),
    -- Where the cell's app instances answer (its balancer), for the hop
    -- from a cell that received a request for another's tenant.
    url text not null
);

create table tenants (
    subdomain text primary key,
    cell text not null references cells (name),
    -- Null while the tenant is being provisioned (the subdomain is
    -- claimed); set once it exists in its cell.
    org_id uuid unique,
    claimed_at timestamptz not null default now()
);

create index tenants_cell on tenants (cell);
