-- test/detection/schema.sql — the labelled suite's template database.
-- posts.author_id has no index (the classic FK mistake); articles is the same data with the index.
CREATE TABLE users (id int PRIMARY KEY, name text, email text);
CREATE TABLE posts (id int PRIMARY KEY, author_id int NOT NULL REFERENCES users(id), title text,
                    body text, created_at timestamptz NOT NULL);
CREATE TABLE articles (id int PRIMARY KEY, author_id int NOT NULL REFERENCES users(id), title text,
                       body text, created_at timestamptz NOT NULL);
CREATE INDEX articles_author_id ON articles (author_id);
CREATE INDEX posts_created_at_id ON posts (created_at, id);
CREATE TABLE tiny (id int PRIMARY KEY, code text);
CREATE TABLE items (id int PRIMARY KEY, category int, price numeric);
CREATE TABLE wide (id int PRIMARY KEY, c1 text, c2 text, c3 text, c4 text, c5 text, c6 text, c7 text,
                   c8 text, c9 text, c10 text, c11 text, c12 text, c13 text, c14 text);
INSERT INTO users SELECT g, 'user ' || g, 'u' || g || '@example.com' FROM generate_series(1, 200) g;
INSERT INTO posts SELECT g, 1 + g % 200, 'post ' || g, repeat('x', 100),
       '2026-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 20000) g;
INSERT INTO articles SELECT * FROM posts;
INSERT INTO tiny SELECT g, 'c' || g FROM generate_series(1, 50) g;
INSERT INTO items SELECT g, g % 2, g FROM generate_series(1, 20000) g;
INSERT INTO wide SELECT g, repeat('a', 40), repeat('b', 40), repeat('c', 40), repeat('d', 40), repeat('e', 40),
       repeat('f', 40), repeat('g', 40), repeat('h', 40), repeat('i', 40), repeat('j', 40), repeat('k', 40),
       repeat('l', 40), repeat('m', 40), repeat('n', 40) FROM generate_series(1, 2000) g;
VACUUM ANALYZE;
