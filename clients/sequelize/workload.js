// clients/sequelize/workload.js — sequelize 6 behind @google-cloud/sqlcommenter-sequelize in a
// tiny express app with OpenTelemetry spans: statements carry client_timezone, db_driver, route
// and traceparent.  Sequelize inlines literals in SELECTs (simple protocol) and binds $n only in
// INSERT/UPDATE.  Tables: clients/prisma/schema.sql; at least 5 users must exist.
// Connection: DATABASE_URL or PGHOST/PGPORT/PGUSER/PGDATABASE.  PGI_N1_ROWS: rows of the
// per-request N+1 (default 8).  Output: one line of JSON (requests, trace ids per request kind).
import { DataTypes, Op, Sequelize } from 'sequelize'
import { wrapSequelizeAsMiddleware } from '@google-cloud/sqlcommenter-sequelize'
import { createApp, handler, intList, pgConnection, runRequests, serve } from '../lib/app.js'

const n1Limit = Number(process.env.PGI_N1_ROWS ?? 8)
const c = pgConnection()
const sequelize = c.connectionString
  ? new Sequelize(c.connectionString, { dialect: 'postgres', logging: false, pool: { max: 4 } })
  : new Sequelize(c.database, c.user, c.password, {
      dialect: 'postgres',
      host: c.host,
      port: c.port,
      logging: false,
      pool: { max: 4 },
      dialectOptions: { application_name: 'sequelize-workload' },
    })

const common = { freezeTableName: true, timestamps: false }
const User = sequelize.define(
  'User',
  { id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true }, email: DataTypes.TEXT, name: DataTypes.TEXT },
  common,
)
const Post = sequelize.define(
  'Post',
  {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    title: DataTypes.TEXT,
    body: DataTypes.TEXT,
    authorId: DataTypes.INTEGER,
  },
  common,
)

const app = createApp()
app.use(
  wrapSequelizeAsMiddleware(
    sequelize,
    { client_timezone: true, db_driver: true, route: true, traceparent: true, tracestate: true },
    { TraceProvider: 'OpenTelemetry' },
  ),
)

app.get('/users/:id', handler(async (req) => User.findByPk(Number(req.params.id))))
app.get('/users', handler(async (req) => User.findAll({ where: { id: { [Op.in]: intList(req.query.ids) } } })))
// the per-request N+1: N users, then one Post query per user
app.get(
  '/feed',
  handler(async (req) => {
    const users = await User.findAll({ attributes: ['id', 'name'], order: [['id', 'ASC']], limit: Number(req.query.limit) })
    for (const u of users) await Post.findAll({ attributes: ['id', 'title'], where: { authorId: u.id } })
    return { users: users.length }
  }),
)
app.post(
  '/users/:id/posts',
  handler(async (req) => {
    const id = Number(req.params.id)
    await sequelize.transaction(async (t) => {
      await Post.create({ authorId: id, title: 'written in a transaction' }, { transaction: t })
      await User.update({ name: 'Author (edited)' }, { where: { id }, transaction: t })
    })
    return { ok: true }
  }),
)

const client = await serve(app)
try {
  const ids = (await User.findAll({ attributes: ['id'], order: [['id', 'ASC']], limit: 5 })).map((u) => u.id)
  if (ids.length < 5) throw new Error(`need at least 5 rows in "User", found ${ids.length}`)
  const summary = await runRequests(client, ids, n1Limit)
  console.log(JSON.stringify({ client: 'sequelize', ...summary }))
} catch (e) {
  console.error(e)
  process.exitCode = 1
} finally {
  await client.close()
  await sequelize.close()
}
