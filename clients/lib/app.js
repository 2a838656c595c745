// clients/lib/app.js — what the knex and sequelize workloads share: OpenTelemetry tracing, a tiny
// express app served on a unix socket (no TCP port), and an HTTP client that sends each request
// with a W3C traceparent whose trace id we chose, so the test knows which trace ids to expect.
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import express from 'express'
import { context, propagation, SpanKind, trace } from '@opentelemetry/api'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'

// One provider per process; register() installs the async-hooks context manager and the W3C
// trace-context propagator globally (the commenters read context.active() through them).
const provider = new NodeTracerProvider()
provider.register()
const tracer = trace.getTracer('pg-insights-clients')

// libpq-style environment -> a node-postgres connection config
export function pgConnection() {
  const env = process.env
  if (env.DATABASE_URL) return { connectionString: env.DATABASE_URL }
  return {
    host: env.PGHOST,
    port: env.PGPORT ? Number(env.PGPORT) : undefined,
    user: env.PGUSER,
    database: env.PGDATABASE,
    password: env.PGPASSWORD,
  }
}

// express app whose first middleware opens one SERVER span per request, parented on the incoming
// traceparent header, and runs the rest of the request inside it.  The trace id goes back in
// the x-trace-id response header.
export function createApp() {
  const app = express()
  app.use((req, res, next) => {
    const parent = propagation.extract(context.active(), req.headers)
    const span = tracer.startSpan(`${req.method} ${req.path}`, { kind: SpanKind.SERVER }, parent)
    res.setHeader('x-trace-id', span.spanContext().traceId)
    res.on('finish', () => span.end())
    context.with(trace.setSpan(parent, span), next)
  })
  return app
}

// wrap an async route handler: JSON result, errors -> 500 with the message
export const handler = (fn) => (req, res) => {
  fn(req, res).then(
    (body) => res.json(body ?? {}),
    (err) => res.status(500).json({ error: String(err && err.message ? err.message : err) }),
  )
}

// Serve `app` on a fresh unix socket; returns { request(method, path, opts), close() }.
// request() sends a traceparent with a new random trace id unless opts.traceparent === false,
// and resolves to { status, body, traceId } (traceId: the server span's, from x-trace-id).
export async function serve(app) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgi-clients-'))
  const socketPath = path.join(dir, 'app.sock')
  const server = http.createServer(app)
  await new Promise((resolve, reject) => server.listen(socketPath, resolve).on('error', reject))

  function request(method, urlPath, opts = {}) {
    const headers = { ...(opts.headers || {}) }
    if (opts.traceparent !== false) {
      const traceId = crypto.randomBytes(16).toString('hex')
      const spanId = crypto.randomBytes(8).toString('hex')
      headers.traceparent = `00-${traceId}-${spanId}-01`
    }
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath, method, path: urlPath, headers }, (res) => {
        let data = ''
        res.setEncoding('utf8')
        res.on('data', (c) => (data += c))
        res.on('end', () => {
          let body
          try {
            body = JSON.parse(data)
          } catch {
            body = data
          }
          if (res.statusCode !== 200) return reject(new Error(`${method} ${urlPath}: ${res.statusCode} ${data}`))
          resolve({ status: res.statusCode, body, traceId: res.headers['x-trace-id'], sentTraceparent: headers.traceparent })
        })
      })
      req.on('error', reject)
      req.end()
    })
  }

  async function close() {
    await new Promise((resolve) => server.close(resolve))
    fs.rmSync(dir, { recursive: true, force: true })
    await provider.shutdown()
  }
  return { request, close }
}

// Parse a comma-separated list of integers from a query string value
export const intList = (s) =>
  String(s || '')
    .split(',')
    .filter(Boolean)
    .map(Number)

// The requests both workloads send, in order; returns the summary object.
//   select_by_id   GET  /users/:id           one SELECT by primary key       (x3)
//   select_in      GET  /users?ids=a,b,c     one SELECT ... IN (...)         (x2)
//   n1             GET  /feed?limit=N        N users, then one query per user (x1)
//   transaction    POST /users/:id/posts     BEGIN, INSERT, UPDATE, COMMIT   (x1)
// Every request gets its own trace id; a mismatch between the trace id we sent and the server
// span's is an error (the span must be parented on the incoming header).
export async function runRequests(client, ids, n1Limit) {
  const traces = { select_by_id: [], select_in: [], n1: [], transaction: [] }
  const requests = {}
  let n1Rows = 0
  const send = async (kind, method, p, headers) => {
    const r = await client.request(method, p, { headers })
    const sent = r.sentTraceparent.split('-')[1]
    if (sent !== r.traceId) throw new Error(`${kind}: server trace id ${r.traceId} != sent ${sent}`)
    traces[kind].push(r.traceId)
    requests[kind] = (requests[kind] ?? 0) + 1
    return r.body
  }
  for (const id of ids.slice(0, 3)) await send('select_by_id', 'GET', `/users/${id}`)
  await send('select_in', 'GET', `/users?ids=${ids.slice(0, 3).join(',')}`)
  await send('select_in', 'GET', `/users?ids=${ids.slice(0, 5).join(',')}`)
  const feed = await send('n1', 'GET', `/feed?limit=${n1Limit}`)
  n1Rows = feed.users
  // with a tracestate too (vendor data: per request, must not become a tag)
  await send('transaction', 'POST', `/users/${ids[0]}/posts`, { tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' })
  return { requests, traces, n1: { rows: n1Rows, queries: n1Rows + 1 } }
}
