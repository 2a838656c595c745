// clients/knex/workload.js — knex 3 behind @google-cloud/sqlcommenter-knex in a tiny express app
// with OpenTelemetry spans, so every statement carries db_driver, route and traceparent.
// Tables: clients/prisma/schema.sql ("User", "Post"); at least 5 users must exist.
// Connection: DATABASE_URL or PGHOST/PGPORT/PGUSER/PGDATABASE.  PGI_N1_ROWS: rows of the
// per-request N+1 (default 8).  Output: one line of JSON (requests, trace ids per request kind).
import Knex from 'knex'
import { wrapMainKnexAsMiddleware } from '@google-cloud/sqlcommenter-knex'
import { createApp, handler, intList, pgConnection, runRequests, serve } from '../lib/app.js'

const n1Limit = Number(process.env.PGI_N1_ROWS ?? 8)
const db = Knex({ client: 'pg', connection: { ...pgConnection(), application_name: 'knex-workload' }, pool: { min: 1, max: 4 } })

const app = createApp()
app.use(
  wrapMainKnexAsMiddleware(
    Knex,
    { db_driver: true, route: true, traceparent: true, tracestate: true },
    { TraceProvider: 'OpenTelemetry' },
  ),
)

app.get('/users/:id', handler(async (req) => db('User').where('id', Number(req.params.id)).first()))
app.get('/users', handler(async (req) => db('User').whereIn('id', intList(req.query.ids))))
// the per-request N+1: N users, then one Post query per user
app.get(
  '/feed',
  handler(async (req) => {
    const users = await db('User').select('id', 'name').orderBy('id').limit(Number(req.query.limit))
    for (const u of users) u.posts = await db('Post').select('id', 'title').where('authorId', u.id)
    return { users: users.length }
  }),
)
app.post(
  '/users/:id/posts',
  handler(async (req) => {
    const id = Number(req.params.id)
    await db.transaction(async (trx) => {
      await trx('Post').insert({ authorId: id, title: 'written in a transaction' })
      await trx('User').where('id', id).update({ name: 'Author (edited)' })
    })
    return { ok: true }
  }),
)

const client = await serve(app)
try {
  const ids = (await db('User').select('id').orderBy('id').limit(5)).map((r) => r.id)
  if (ids.length < 5) throw new Error(`need at least 5 rows in "User", found ${ids.length}`)
  const summary = await runRequests(client, ids, n1Limit)
  console.log(JSON.stringify({ client: 'knex', ...summary }))
} catch (e) {
  console.error(e)
  process.exitCode = 1
} finally {
  await client.close()
  await db.destroy()
}
