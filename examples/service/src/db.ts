// PostgreSQL through pg's Pool: the pool, and the one table the service writes.
import pg from 'pg';

/** One order a POST created; the worker's job marks it processed. */
export interface OrderRow {
  id: string;
  item: string;
  request_id: string | null;
  processed: number;
}

export function createPool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: 10,
    // A database that does not answer fails the request in 2 s instead of holding it.
    connectionTimeoutMillis: 2_000,
  });
  // An idle client whose connection drops emits here; without a listener it would crash the process.
  pool.on('error', (error) => console.error(`pg pool: idle client error: ${error.message}`));
  return pool;
}

export async function migrate(pool: pg.Pool): Promise<void> {
  await pool.query(`CREATE TABLE IF NOT EXISTS orders (
    id bigserial PRIMARY KEY,
    item text NOT NULL,
    request_id text,
    work_ms integer NOT NULL DEFAULT 0,
    processed integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz
  )`);
}
