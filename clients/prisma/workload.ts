// clients/prisma/workload.ts — a small blog workload through the real Prisma 7 client
// (@prisma/adapter-pg driver adapter + @prisma/sqlcommenter-query-insights), so every statement
// carries prismaQuery='<Model>.<action>%3A<base64url shape>'.
//
// Connection: DATABASE_URL, or libpq-style PGHOST/PGPORT/PGUSER/PGDATABASE/PGPASSWORD (PGHOST may
// be a socket directory).  Tables: schema.sql.  Env knobs:
//   PGI_N1_PARENTS   users in the N+1 loop (default 10)
//   PGI_ROUNDS       how many times the read part runs (default 1)
// Output: exactly one line of JSON on stdout, e.g.
//   {"client":"prisma","runId":"...","calls":{"create_nested":3,...},"createManySizes":[...],"n1":{...}}
// Every call is awaited in order (one backend of the pool serves the sequential calls), except the
// findUnique batch, which Prisma merges into one IN query.
import { PrismaPg } from '@prisma/adapter-pg'
import { prismaQueryInsights } from '@prisma/sqlcommenter-query-insights'
import { PrismaClient } from './generated/client.ts'

const env = process.env
const n1Parents = Number(env.PGI_N1_PARENTS ?? 10)
const rounds = Number(env.PGI_ROUNDS ?? 1)
const createManySizes = [1, 2, 5, 17, 50, 100]
const nestedCreates = 3
const runId = `${Date.now().toString(36)}-${process.pid}`

const poolConfig = env.DATABASE_URL
  ? { connectionString: env.DATABASE_URL }
  : {
      host: env.PGHOST,
      port: env.PGPORT ? Number(env.PGPORT) : undefined,
      user: env.PGUSER,
      database: env.PGDATABASE,
      password: env.PGPASSWORD,
    }

const prisma = new PrismaClient({
  adapter: new PrismaPg({ ...poolConfig, max: 4, application_name: 'prisma-workload' }),
  comments: [prismaQueryInsights()],
})

const calls: Record<string, number> = {}
const count = (kind: string, n = 1) => {
  calls[kind] = (calls[kind] ?? 0) + n
}

async function main() {
  // nested create: INSERT "User", INSERT "Post" (both posts in one multi-row VALUES), SELECT "User",
  // all three tagged User.createOne, inside BEGIN/COMMIT
  const authors: number[] = []
  for (let i = 0; i < nestedCreates; i++) {
    const u = await prisma.user.create({
      data: {
        email: `${runId}-author${i}@example.com`,
        name: `Author ${i}`,
        posts: { create: [{ title: `first post of ${i}`, body: 'hello' }, { title: `second post of ${i}` }] },
      },
    })
    authors.push(u.id)
    count('create_nested')
  }

  // createMany with several row counts: one multi-row INSERT each, tagged User.createMany
  for (const n of createManySizes) {
    const r = await prisma.user.createMany({
      data: Array.from({ length: n }, (_, k) => ({ email: `${runId}-bulk${n}-${k}@example.com`, name: `Bulk ${k}` })),
    })
    if (r.count !== n) throw new Error(`createMany(${n}) inserted ${r.count}`)
    count('createMany')
  }

  let n1Len = 0
  for (let round = 0; round < rounds; round++) {
    // findMany: all columns, tagged User.findMany (e30 = {})... with a filter and an order
    await prisma.user.findMany({ where: { email: { startsWith: `${runId}-author` } }, orderBy: { id: 'asc' } })
    count('findMany')

    // a batch of findUnique calls in one tick: Prisma merges them into one IN query
    await Promise.all(authors.map((id) => prisma.user.findUnique({ where: { id } })))
    count('findUnique_batch')

    // include (nested read): a User query and a Post ... "authorId" IN (...) query, both User.findMany
    await prisma.user.findMany({ where: { id: { in: authors } }, include: { posts: true } })
    count('include')

    // count: SELECT COUNT(*) ... tagged Post.aggregate
    await prisma.post.count({ where: { authorId: authors[0] } })
    count('count')

    // raw SQL: tagged prismaQuery='queryRaw'
    await prisma.$queryRaw`SELECT count(*)::int AS n FROM "Post" WHERE "authorId" = ${authors[0]}`
    count('queryRaw')

    // the N+1 loop: one parent query, then one Post query per user (same backend, no transaction)
    const parents = await prisma.user.findMany({ select: { id: true }, orderBy: { id: 'asc' }, take: n1Parents })
    count('n1_parent')
    for (const u of parents) {
      await prisma.post.findMany({ where: { authorId: u.id } })
      count('n1_child')
    }
    n1Len = parents.length
  }

  console.log(
    JSON.stringify({
      client: 'prisma',
      runId,
      calls,
      createManySizes,
      authors,
      n1: { parents: n1Len, rounds },
    }),
  )
}

main()
  .catch((e) => {
    console.error(e)
    process.exitCode = 1
  })
  .finally(() => prisma.$disconnect())
