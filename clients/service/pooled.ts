// clients/service/pooled.ts — a concurrent web service's database traffic, as a real one sends it:
// many requests at once through one connection pool (node-postgres, or the Prisma 7 client on
// @prisma/adapter-pg), so one request's statements land on different backends and every backend
// interleaves many requests.  Used by test/detection/pooled.sh as labelled input.
//
// Endpoints (chosen at random per request):
//   feed      10 users after a random id, then their posts: one query per user (faulty) or one
//             "authorId" = ANY($1) query (clean)
//   profile   one user by primary key, then that user's latest posts
//   post      one post joined with its author, by primary key
//   products  products by id = ANY($1)
//
// Connection: libpq-style PGHOST (socket dir) / PGPORT / PGUSER / PGDATABASE.  Tables:
// test/detection/service.sql.  Env knobs:
//   PGI_SVC_CLIENT   pg | prisma (default pg)
//   PGI_SVC_VARIANT  faulty | clean (default faulty)
//   PGI_SVC_TRACE    1: every statement carries the request's traceparent comment (pg only)
//   PGI_SVC_VUS      concurrent virtual users (default 12)
//   PGI_SVC_POOL     pool size (default 8)
//   PGI_SVC_SECONDS  how long to run (default 12)
//   PGI_SVC_USERS    users in the table (default 20000)
// Output: one line of JSON on stdout: {"client","variant","trace","requests":{...},"statements":N,
// "feedChildren":N,"maxRepeat":N} (maxRepeat: most executions of one statement with the same arguments).
import crypto from 'node:crypto'
import pg from 'pg'
import { PrismaPg } from '@prisma/adapter-pg'
import { prismaQueryInsights } from '@prisma/sqlcommenter-query-insights'
import { PrismaClient } from '../prisma/generated/client.ts'

const env = process.env
const client = env.PGI_SVC_CLIENT ?? 'pg'
const variant = env.PGI_SVC_VARIANT ?? 'faulty'
const traced = env.PGI_SVC_TRACE === '1'
const vus = Number(env.PGI_SVC_VUS ?? 12)
const poolSize = Number(env.PGI_SVC_POOL ?? 8)
const seconds = Number(env.PGI_SVC_SECONDS ?? 12)
const nusers = Number(env.PGI_SVC_USERS ?? 20000)
if (!['pg', 'prisma'].includes(client) || !['faulty', 'clean'].includes(variant)) {
  console.error('PGI_SVC_CLIENT must be pg or prisma, PGI_SVC_VARIANT faulty or clean')
  process.exit(2)
}
if (traced && client === 'prisma') {
  console.error('PGI_SVC_TRACE=1 is for the pg client (the Prisma commenter sends no traceparent)')
  process.exit(2)
}

const conn = {
  host: env.PGHOST,
  port: env.PGPORT ? Number(env.PGPORT) : undefined,
  user: env.PGUSER,
  database: env.PGDATABASE,
}
const requests: Record<string, number> = { feed: 0, profile: 0, post: 0, products: 0 }
let statements = 0
let feedChildren = 0
const rand = (n: number) => 1 + Math.floor(Math.random() * n)
// arguments cycle through every value before one comes back (a stride co-prime to n), so no
// statement runs with the same arguments more than a few times: the ground truth for
// repeated_query is "none", and maxRepeat in the output proves it
const cycles: Record<string, number> = {}
const coprime = (n: number) => {
  let s = Math.floor(n * 0.618) | 1
  const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a)
  while (gcd(s, n) !== 1) s += 2
  return s
}
const cycle = (name: string, n: number) => {
  const i = (cycles[name] = (cycles[name] ?? 0) + 1)
  return 1 + ((i * coprime(n)) % n)
}
const seen = new Map<string, number>()
let maxRepeat = 0
const note = (text: string, values: unknown[]) => {
  const k = text + '\0' + JSON.stringify(values)
  const n = (seen.get(k) ?? 0) + 1
  seen.set(k, n)
  if (n > maxRepeat) maxRepeat = n
}

// ---- node-postgres: hand-written SQL through pg.Pool (each query takes whichever client is free)
function pgService() {
  const pool = new pg.Pool({ ...conn, max: poolSize, application_name: 'svc-pg' })
  return {
    // one request: its statements, each tagged with the request's trace context when traced
    request() {
      const tag = traced
        ? ` /*traceparent='00-${crypto.randomBytes(16).toString('hex')}-${crypto.randomBytes(8).toString('hex')}-01'*/`
        : ''
      return async (text: string, values: unknown[]) => {
        statements++
        note(text, values)
        return (await pool.query(text + tag, values)).rows
      }
    },
    async feed(q: any) {
      const users = await q('SELECT id, name FROM "User" WHERE id > $1 ORDER BY id LIMIT 10', [feedStart()])
      if (variant === 'faulty') {
        for (const u of users) {
          await q('SELECT id, title FROM "Post" WHERE "authorId" = $1', [u.id])
          feedChildren++
        }
      } else {
        await q('SELECT id, title, "authorId" FROM "Post" WHERE "authorId" = ANY($1)', [users.map((u: any) => u.id)])
      }
    },
    async profile(q: any) {
      const id = cycle('profile', nusers)
      await q('SELECT id, name, email FROM "User" WHERE id = $1', [id])
      await q('SELECT id, title FROM "Post" WHERE "authorId" = $1 ORDER BY created_at DESC LIMIT 10', [id])
    },
    async post(q: any) {
      await q('SELECT p.id, p.title, u.name FROM "Post" p JOIN "User" u ON u.id = p."authorId" WHERE p.id = $1', [
        cycle('post', nusers * 5),
      ])
    },
    async products(q: any) {
      const ids = Array.from({ length: rand(8) }, () => rand(5000))
      await q('SELECT id, name, price FROM "Product" WHERE id = ANY($1)', [ids])
    },
    end: () => pool.end(),
  }
}

// ---- Prisma 7: the same endpoints as ORM calls, every statement tagged prismaQuery='...'
function prismaService() {
  const prisma = new PrismaClient({
    adapter: new PrismaPg({ ...conn, max: poolSize, application_name: 'svc-prisma' }),
    comments: [prismaQueryInsights()],
  })
  const count = <T>(p: Promise<T>, key: string, arg: unknown) => {
    statements++
    note(key, [arg])
    return p
  }
  return {
    request: () => null,
    async feed() {
      let start = 0
      const users = await count(
        prisma.user.findMany({ where: { id: { gt: (start = feedStart()) } }, orderBy: { id: 'asc' }, take: 10, select: { id: true, name: true } }),
        'feed',
        start,
      )
      if (variant === 'faulty') {
        for (const u of users) {
          await count(prisma.post.findMany({ where: { authorId: u.id }, select: { id: true, title: true } }), 'child', u.id)
          feedChildren++
        }
      } else {
        await count(
          prisma.post.findMany({ where: { authorId: { in: users.map((u) => u.id) } }, select: { id: true, title: true, authorId: true } }),
          'batch',
          users.map((u) => u.id),
        )
      }
    },
    async profile() {
      const id = cycle('profile', nusers)
      await count(prisma.user.findUnique({ where: { id }, select: { id: true, name: true, email: true } }), 'user', id)
      await count(
        prisma.post.findMany({ where: { authorId: id }, orderBy: { createdAt: 'desc' }, take: 10, select: { id: true, title: true } }),
        'latest',
        id,
      )
    },
    async post() {
      const id = cycle('post', nusers * 5)
      await count(prisma.post.findUnique({ where: { id }, select: { id: true, title: true, author: { select: { name: true } } } }), 'post', id)
    },
    async products() {
      const ids = Array.from({ length: rand(8) }, () => rand(nusers))
      await count(prisma.user.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } }), 'products', ids)
    },
    end: () => prisma.$disconnect(),
  }
}

// the feed's first listed user: every multiple of 10 in turn
const feedStart = () => 10 * (cycle('feed', Math.floor(nusers / 10) - 1) - 1)

async function main() {
  const svc: any = client === 'pg' ? pgService() : prismaService()
  const endpoints: [string, number][] = [
    ['feed', 0.3],
    ['profile', 0.3],
    ['post', 0.25],
    ['products', 0.15],
  ]
  const deadline = Date.now() + seconds * 1000
  const vu = async () => {
    while (Date.now() < deadline) {
      let r = Math.random()
      let name = endpoints[endpoints.length - 1][0]
      for (const [n, p] of endpoints) {
        if ((r -= p) < 0) {
          name = n
          break
        }
      }
      await svc[name](svc.request())
      requests[name]++
    }
  }
  try {
    await Promise.all(Array.from({ length: vus }, vu))
  } finally {
    await svc.end()
  }
  console.log(JSON.stringify({ client, variant, trace: traced, requests, statements, feedChildren, maxRepeat }))
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
