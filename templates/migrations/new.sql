-- Migration: {{name}} ({{fileName}}, created {{createdAt}})
-- Runs once, in its own transaction, as the admin role, after the platform's own migrations
-- (app migrations are numbered on their own: see `baas migrate status`, column SOURCE).
-- Never edit it after it was applied: write a new migration instead (`baas migrate new <name>`).
-- To run outside a transaction (needed for CREATE INDEX CONCURRENTLY), make the first line:
--   -- baas:no-transaction
--
-- The statements below are an example to replace or adapt: as they are, they create a
-- tenant-scoped table `{{table}}` whose rows each belong to one organisation.

create table public.{{table}} (
  id uuid primary key default gen_random_uuid(),
  -- org_id defaults to the organisation active in the transaction (baas_platform.set_active_org).
  org_id uuid not null default baas_platform.current_org()
    references baas_platform.organisations (id) on delete cascade,
  created_at timestamptz not null default now()
);

-- Tenant isolation in one call: RLS enabled and forced, a policy per command on org_id, and
-- an index on org_id. `baas rls check` then proves it against the live database.
select baas_platform.enable_tenant_rls('public.{{table}}', 'org_id', 'enforce');

-- A table shared by every organisation must be exempted explicitly instead:
-- select baas_platform.exempt_table('public.countries', 'reference data shared by all organisations');
