-- Migration: {{name}} ({{fileName}}, created {{createdAt}})
-- Runs once, in its own transaction, as the admin role. Never edit it after it was applied:
-- write a new migration instead (`baas migrate new <name>`).
-- To run outside a transaction (needed for CREATE INDEX CONCURRENTLY), make the first line:
--   -- baas:no-transaction

-- A tenant-scoped table: org_id defaults to the organisation active in the session.
-- create table public.example (
--   id uuid primary key default gen_random_uuid(),
--   org_id uuid not null default baas_platform.current_org()
--     references baas_platform.organisations (id) on delete cascade,
--   created_at timestamptz not null default now()
-- );
-- select baas_platform.enable_tenant_rls('public.example', 'org_id', 'enforce');

-- A table shared by every organisation must be exempted explicitly:
-- select baas_platform.exempt_table('public.countries', 'reference data shared by all organisations');
