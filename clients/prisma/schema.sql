-- clients/prisma/schema.sql — the blog schema of clients/prisma/schema.prisma, as plain SQL
-- (prisma migrate / db push cannot run offline).  The same "User"/"Post" columns as
-- demo/schema.sql, so the Prisma workload also runs against the demo database.
-- Like Prisma's own DDL, there is no index on the foreign key "Post"."authorId".
CREATE TABLE IF NOT EXISTS "User" (
    id    serial PRIMARY KEY,
    email text UNIQUE NOT NULL,
    name  text
);
CREATE TABLE IF NOT EXISTS "Post" (
    id         serial PRIMARY KEY,
    title      text NOT NULL,
    body       text,
    "authorId" int NOT NULL REFERENCES "User"(id),
    created_at timestamptz DEFAULT now()
);
