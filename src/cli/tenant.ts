import type { Command } from 'commander';
import type { App } from './app.js';
import { json, table } from './format.js';
import { DATABASE_URL_HELP, withAdmin, type DbOpts } from './migrate.js';

async function mongoUrl(app: App): Promise<string | undefined> {
  const loaded = await app.config();
  if (!loaded.config.services.mongo.enabled) return undefined;
  const fromEnv = app.io.env['MONGO_URL'];
  if (fromEnv) return fromEnv;
  const { connectionInfo } = await import('../stack/connection.js');
  const infos = await connectionInfo({ runtime: await app.runtime(), logger: await app.logger(), env: app.io.env }, loaded, await app.stateDir());
  return infos.find((i) => i.service === 'mongo')?.env['MONGO_URL'];
}

export function registerTenant(program: Command, app: App): void {
  const io = app.io;
  const tenant = program
    .command('tenant')
    .description('organisations (tenants): rows in baas_platform.organisations, and with MongoDB their own database and user')
    .addHelpText('after', `
Examples:
  $ baas tenant create acme --name "Acme Corp"
  $ baas tenant list
  $ baas tenant member add acme user-42 --role admin
  $ baas tenant delete acme`);
  const withDb = (cmd: Command): Command => cmd.option('--database-url <url>', DATABASE_URL_HELP).option('--json', 'print as JSON');

  withDb(tenant.command('create'))
    .description('create an organisation (and, when MongoDB is enabled, its database and a user limited to it)')
    .argument('<slug>', 'lowercase letters, digits and -')
    .option('--name <name>', 'display name (default: the slug)')
    .option('--no-mongo', 'skip the MongoDB database and user even when MongoDB is enabled')
    .addHelpText('after', '\nExamples:\n  $ baas tenant create acme --name "Acme Corp"\n  $ baas tenant create acme --json | jq -r .id')
    .action(async (slug: string, opts: DbOpts & { name?: string; mongo: boolean }) => {
      const { createTenant, validateSlug } = await import('../tenant/tenants.js');
      validateSlug(slug);
      const t = await withAdmin(app, opts, (c) => createTenant(c, { slug, ...(opts.name ? { name: opts.name } : {}) }));
      let mongo: { database: string; user: string; secretFile: string } | undefined;
      const url = opts.mongo ? await mongoUrl(app) : undefined;
      if (url) {
        const { mongoAdminFromUrl, createMongoTenant, saveTenantSecret } = await import('../tenant/mongo.js');
        const admin = await mongoAdminFromUrl(url);
        try {
          const m = await createMongoTenant(admin, slug);
          mongo = { database: m.database, user: m.user, secretFile: saveTenantSecret(await app.stateDir(), slug, m) };
        } finally {
          await admin.close();
        }
      }
      if (opts.json) return io.stdout(json({ ...t, ...(mongo ? { mongo } : {}) }));
      io.stdout(`Created tenant ${t.slug} (${t.name}), id ${t.id}.\n`);
      if (mongo) io.stdout(`MongoDB: database ${mongo.database}, user ${mongo.user}; credentials in ${mongo.secretFile} (0600).\n`);
      io.stdout(`Use it: select baas_platform.set_active_org('${t.id}');\n`);
    });

  withDb(tenant.command('list'))
    .description('list organisations')
    .addHelpText('after', '\nExamples:\n  $ baas tenant list --json')
    .action(async (opts: DbOpts) => {
      const { listTenants } = await import('../tenant/tenants.js');
      const list = await withAdmin(app, opts, (c) => listTenants(c));
      if (opts.json) return io.stdout(json(list));
      if (list.length === 0) return io.stdout('No tenants yet: `baas tenant create <slug>`.\n');
      io.stdout(table(['SLUG', 'NAME', 'ID', 'MEMBERS', 'CREATED'], list.map((t) => [t.slug, t.name, t.id, t.members, t.createdAt])));
    });

  withDb(tenant.command('delete'))
    .description("delete an organisation; its rows go with it where foreign keys cascade (and its MongoDB database and user)")
    .argument('<slug>', 'the tenant to delete')
    .option('--no-mongo', 'leave the MongoDB database and user')
    .addHelpText('after', '\nExamples:\n  $ baas tenant delete acme')
    .action(async (slug: string, opts: DbOpts & { mongo: boolean }) => {
      const { deleteTenant } = await import('../tenant/tenants.js');
      const t = await withAdmin(app, opts, (c) => deleteTenant(c, slug));
      const url = opts.mongo ? await mongoUrl(app) : undefined;
      let mongo: { database: string; user: string } | undefined;
      if (url) {
        const { mongoAdminFromUrl, deleteMongoTenant, removeTenantSecret } = await import('../tenant/mongo.js');
        const admin = await mongoAdminFromUrl(url);
        try {
          mongo = await deleteMongoTenant(admin, slug);
          removeTenantSecret(await app.stateDir(), slug);
        } finally {
          await admin.close();
        }
      }
      if (opts.json) return io.stdout(json({ ...t, ...(mongo ? { mongo } : {}) }));
      io.stdout(`Deleted tenant ${t.slug} (${t.id})${mongo ? ` and MongoDB database ${mongo.database}` : ''}.\n`);
    });

  const member = tenant
    .command('member')
    .description("who belongs to a tenant, with which role (rows in baas_platform.members)")
    .addHelpText('after', `
Examples:
  $ baas tenant member add acme user-42 --role owner
  $ baas tenant member list acme
  $ baas tenant member remove acme user-42
Roles: owner, admin, member, viewer. The user id is whatever your app knows the user by; the
app makes a member's organisation active with baas_platform.activate_user_org(user_id).`);

  withDb(member.command('add'))
    .description('add a user to a tenant with a role (an existing member gets the new role)')
    .argument('<slug>', 'the tenant')
    .argument('<user-id>', "your app's id for the user, e.g. user-42 or an email")
    .option('--role <role>', 'owner, admin, member or viewer', 'member')
    .addHelpText('after', '\nExamples:\n  $ baas tenant member add acme user-42\n  $ baas tenant member add acme ana@example.com --role admin --json')
    .action(async (slug: string, userId: string, opts: DbOpts & { role: string }) => {
      const { addMember, validateRole, validateUserId } = await import('../tenant/members.js');
      const { validateSlug } = await import('../tenant/tenants.js');
      validateSlug(slug);
      validateUserId(userId);
      validateRole(opts.role);
      const m = await withAdmin(app, opts, (c) => addMember(c, { slug, userId, role: opts.role }));
      if (opts.json) return io.stdout(json(m));
      io.stdout(
        m.previousRole === null
          ? `Added ${m.userId} to ${m.tenant} as ${m.role}.\n`
          : m.previousRole === m.role
            ? `${m.userId} was already a member of ${m.tenant} as ${m.role}.\n`
            : `${m.userId} is now ${m.role} of ${m.tenant} (was ${m.previousRole}).\n`,
      );
    });

  withDb(member.command('remove'))
    .description('remove a user from a tenant')
    .argument('<slug>', 'the tenant')
    .argument('<user-id>', 'the member to remove')
    .addHelpText('after', '\nExamples:\n  $ baas tenant member remove acme user-42')
    .action(async (slug: string, userId: string, opts: DbOpts) => {
      const { removeMember, validateUserId } = await import('../tenant/members.js');
      const { validateSlug } = await import('../tenant/tenants.js');
      validateSlug(slug);
      validateUserId(userId);
      const m = await withAdmin(app, opts, (c) => removeMember(c, { slug, userId }));
      if (opts.json) return io.stdout(json(m));
      io.stdout(`Removed ${m.userId} (${m.role}) from ${m.tenant}.\n`);
    });

  withDb(member.command('list'))
    .description("list a tenant's members and their roles")
    .argument('<slug>', 'the tenant')
    .addHelpText('after', "\nExamples:\n  $ baas tenant member list acme\n  $ baas tenant member list acme --json | jq -r '.[] | select(.role == \"owner\") | .userId'")
    .action(async (slug: string, opts: DbOpts) => {
      const { listMembers } = await import('../tenant/members.js');
      const { validateSlug } = await import('../tenant/tenants.js');
      validateSlug(slug);
      const list = await withAdmin(app, opts, (c) => listMembers(c, slug));
      if (opts.json) return io.stdout(json(list));
      if (list.length === 0) return io.stdout(`${slug} has no members yet: \`baas tenant member add ${slug} <user-id> --role owner\`.\n`);
      io.stdout(table(['USER', 'ROLE', 'SINCE'], list.map((m) => [m.userId, m.role, m.createdAt])));
    });
}
