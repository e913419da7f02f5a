// The HTTP API: POST /orders writes a row and enqueues its job; GET /orders/:id reads it back;
// /readyz and /livez are @lastcall/health's probes on the same port.
import type { Health } from '@lastcall/health';
import type { Queue } from 'bullmq';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type pg from 'pg';
import type { OrderRow } from './db.js';
import type { OrderJob } from './queue.js';

/** The longest simulated job a client may ask for, in milliseconds. */
const MAX_WORK_MS = 60_000;

export function createApp({
  pool,
  producer,
  health,
}: {
  pool: pg.Pool;
  producer: Queue<OrderJob>;
  health: Health;
}): Express {
  const app = express();
  app.get('/readyz', health.readiness);
  app.get('/livez', health.liveness);

  app.post('/orders', express.json(), async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as { item?: unknown; workMs?: unknown };
    const item = typeof body.item === 'string' && body.item !== '' ? body.item : 'item';
    const workMs = typeof body.workMs === 'number' ? Math.min(Math.max(0, Math.round(body.workMs)), MAX_WORK_MS) : 100;
    const requestId = req.get('x-request-id') ?? null;
    const { rows } = await pool.query<Pick<OrderRow, 'id'>>(
      'INSERT INTO orders (item, request_id, work_ms) VALUES ($1, $2, $3) RETURNING id',
      [item, requestId, workMs],
    );
    const [row] = rows;
    if (!row) throw new Error('INSERT … RETURNING id returned no row');
    const orderId = String(row.id);
    // The row is committed before the job exists: the job never points at a row that is not there.
    // jobId from the order id: enqueueing the same order twice is one job (BullMQ refuses integer ids).
    await producer.add('process', { orderId, workMs }, { jobId: `order-${orderId}` });
    res.status(201).json({ id: orderId });
  });

  app.get('/orders/:id', async (req: Request, res: Response) => {
    const { rows } = await pool.query<OrderRow>('SELECT id, item, request_id, processed FROM orders WHERE id = $1', [
      req.params.id,
    ]);
    if (rows.length === 0) res.status(404).json({ error: 'no such order' });
    else res.json(rows[0]);
  });

  // Express 5 sends a rejected handler here: log the cause (the test reads these lines), answer 500.
  app.use((error: Error, req: Request, res: Response, _next: NextFunction) => {
    console.error(`${req.method} ${req.path} failed: ${error.message}`);
    if (!res.headersSent) res.status(500).json({ error: 'internal error' });
  });
  return app;
}
