// The benches' own Postgres helpers: one session per call, and the same dense test data everywhere.
import pg from 'pg';

/** Runs `fn` with a connected client, and ends it whatever happens. */
export async function withPg(url, fn) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Grows table `bench` with dense rows (full pages: WAL_LOG's full-page images cannot skip page
 * holes, as they could with a low fillfactor) until the database has `mb` MB, then checkpoints.
 * Returns the database's size in bytes.
 */
export async function growTo(url, mb) {
  await withPg(url, async (c) => {
    await c.query('create table if not exists bench (id bigint primary key, pad text)');
    for (;;) {
      const size = Number((await c.query('select pg_database_size(current_database()) as s')).rows[0].s);
      if (size >= mb * 1024 * 1024) return;
      const rows = Math.max(1000, Math.min(2_000_000, Math.ceil(((mb * 1024 * 1024 - size) / 8192) * 50)));
      const start = Number((await c.query('select coalesce(max(id), 0) as m from bench')).rows[0].m);
      await c.query(`insert into bench select g, md5(g::text) || repeat('x', 68) from generate_series(${start + 1}, ${start + rows}) g`);
    }
  });
  await withPg(url, (c) => c.query('checkpoint'));
  return withPg(url, async (c) => Number((await c.query('select pg_database_size(current_database()) as s')).rows[0].s));
}
