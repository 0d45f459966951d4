-- Sample multi-tenant schema: every row belongs to an organisation (org_id), and
-- org_id defaults to the organisation active in the transaction, so app code never sets it.

create table public.projects (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null default baas_platform.current_org()
    references baas_platform.organisations (id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now(),
  -- lets notes reference (org_id, id) so a note can never point at another organisation's project
  unique (org_id, id)
);

create table public.notes (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null default baas_platform.current_org()
    references baas_platform.organisations (id) on delete cascade,
  project_id uuid not null,
  title text not null,
  body text not null default '',
  created_at timestamptz not null default now(),
  foreign key (org_id, project_id) references public.projects (org_id, id) on delete cascade
);
create index notes_org_created_idx on public.notes (org_id, created_at desc);

select baas_platform.enable_tenant_rls('public.projects', 'org_id', 'enforce');
select baas_platform.enable_tenant_rls('public.notes', 'org_id', 'enforce');

-- Shared by every organisation on purpose, so it is exempted explicitly.
create table public.note_kinds (
  code text primary key,
  label text not null
);
insert into public.note_kinds (code, label) values ('idea', 'Idea'), ('todo', 'To do'), ('log', 'Log');
select baas_platform.exempt_table('public.note_kinds', 'reference data shared by all organisations');
