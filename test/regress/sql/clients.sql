-- clients: statements exactly as real clients sent them (data/clients/, captured from a
-- server log), replayed over the same protocol, then what we made of them
\setenv PGDATABASE :DBNAME
CREATE TABLE "User" (id serial PRIMARY KEY, email text, name text);
CREATE TABLE "Post" (id serial PRIMARY KEY, title text, "authorId" int);
CREATE TABLE users (id serial PRIMARY KEY, email text, name text);
CREATE TABLE posts (id serial PRIMARY KEY, author_id int, title text);
SELECT insights.reset();
\! "$PGI_EXEC" replay "$PGI_DATA_DIR/clients/prisma7-default.txt"
\! "$PGI_EXEC" replay "$PGI_DATA_DIR/clients/prisma7-relationjoins.txt"
\! "$PGI_EXEC" replay "$PGI_DATA_DIR/clients/knex.txt"
\! "$PGI_EXEC" replay "$PGI_DATA_DIR/clients/sequelize.txt"
-- Prisma: model, action and the decoded shape
SELECT prisma_model, prisma_action, sum(calls) AS calls
  FROM insights.attribution WHERE prisma_action IS NOT NULL
 GROUP BY 1, 2 ORDER BY 1 NULLS FIRST, 2;
SELECT DISTINCT prisma_shape FROM insights.attribution
 WHERE prisma_model = 'User' AND prisma_action = 'findUnique' AND jsonb_typeof(prisma_shape) = 'object'
 ORDER BY 1;
SELECT jsonb_typeof(prisma_shape) AS batched, jsonb_array_length(prisma_shape) AS calls_in_batch
  FROM insights.attribution
 WHERE prisma_model = 'User' AND prisma_action = 'findUnique' AND jsonb_typeof(prisma_shape) = 'array';
-- a 30-row createMany's shape is longer than the tag value bound (PGI_MAX_VALUE_LEN): its
-- model and action are attributed, the cut base64 is not decoded into a partial shape
SELECT count(*) AS createmany_tagsets, bool_and(prisma_shape IS NULL) AS long_shape_not_decoded
  FROM insights.attribution WHERE prisma_model = 'Post' AND prisma_action = 'createMany';
SELECT DISTINCT prisma_shape FROM insights.attribution WHERE prisma_action = 'deleteMany';
-- the raw tag keeps the decoded value
SELECT DISTINCT tags FROM insights.attribution WHERE prisma_action IN ('queryRaw', 'deleteMany') ORDER BY 1;
-- query tags next to Prisma's: decoded, escaped quote undone, traceparent dropped
SELECT tags - 'prismaQuery' AS tags, route, controller, framework, prisma_model, prisma_action, calls
  FROM insights.attribution WHERE controller = 'users';
-- Prisma's N+1 loop: one shape, its 10 calls, one tag set
SELECT q.calls, (SELECT count(*) FROM insights.attribution a WHERE a.shape_id = q.shape_id) AS tagsets, q.query
  FROM insights.queries q
 WHERE q.query LIKE 'SELECT "public"."Post"."id", "public"."Post"."title", "public"."Post"."authorId" FROM "public"."Post" WHERE "public"."Post"."authorId" = $1 OFFSET $2';
-- nested include: IN ($1,...,$10) collapsed; the relationJoins statement with its own comments
SELECT query FROM insights.queries
 WHERE query LIKE '%"public"."Post"."authorId" IN%' ORDER BY query COLLATE "C";
SELECT count(*) AS lateral_shapes, sum(calls) AS calls, bool_and(query NOT LIKE '%prismaQuery%') AS no_tag_in_text
  FROM insights.queries WHERE query LIKE '%LEFT JOIN LATERAL%' AND query NOT LIKE '%insights%';
-- Prisma's createMany of 8 users and of 30 posts: one shape each, whatever the row count
SELECT tables, calls FROM insights.queries
 WHERE query LIKE 'INSERT INTO "public".%VALUES%' AND command = 'INSERT'
 ORDER BY tables::text COLLATE "C", calls;
-- knex: db_driver and route, no trace keys; with default settings an empty /**/
SELECT route, db_driver, sum(calls) AS calls FROM insights.attribution
 WHERE db_driver LIKE 'knex%' GROUP BY 1, 2 ORDER BY route COLLATE "C";
-- sequelize: also client_timezone; the comment comes after the ';'
SELECT route, db_driver, tags ->> 'client_timezone' AS client_timezone, sum(calls) AS calls
  FROM insights.attribution WHERE db_driver LIKE 'sequelize%' GROUP BY 1, 2, 3 ORDER BY route COLLATE "C";
-- knex's and sequelize's N+1: the same query tree written two ways: two shapes (a shape is
-- the fingerprint of the text's tokens, the same on every server and version); sequelize
-- inlines the key and knex binds it, and each is one shape of 15 calls
SELECT query, calls FROM insights.queries
 WHERE query ILIKE '%from "posts"%author_id%= $1%' AND query NOT LIKE '%insights%' ORDER BY query COLLATE "C";
-- nobody's tags carry trace context
SELECT count(*) AS trace_keys FROM insights.attribution WHERE tags ? 'traceparent' OR tags ? 'tracestate';
-- no stored text carries a sqlcommenter comment
SELECT count(*) AS texts_with_tags FROM insights.queries
 WHERE query ~ '(prismaQuery|db_driver|traceparent)=' AND query NOT LIKE '%insights%';
