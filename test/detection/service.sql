-- test/detection/service.sql — the concurrent service's database (clients/service/pooled.ts): the
-- Prisma blog tables with the foreign key indexed (so the only fault is the N+1 loop of the faulty
-- variants), and a product table.
CREATE TABLE "User" (id serial PRIMARY KEY, email text UNIQUE NOT NULL, name text);
CREATE TABLE "Post" (id serial PRIMARY KEY, title text NOT NULL, body text,
                     "authorId" int NOT NULL REFERENCES "User"(id), created_at timestamptz DEFAULT now());
CREATE INDEX post_author_created ON "Post" ("authorId", created_at);
CREATE TABLE "Product" (id int PRIMARY KEY, name text NOT NULL, price numeric NOT NULL);
INSERT INTO "User" SELECT g, 'u' || g || '@example.com', 'user ' || g FROM generate_series(1, 20000) g;
INSERT INTO "Post" SELECT g, 'post ' || g, repeat('x', 60), 1 + g % 20000,
       '2026-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 100000) g;
INSERT INTO "Product" SELECT g, 'product ' || g, g % 100 FROM generate_series(1, 5000) g;
SELECT setval('"User_id_seq"', 20000), setval('"Post_id_seq"', 100000);
VACUUM ANALYZE;
