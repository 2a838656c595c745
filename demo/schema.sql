-- demo/schema.sql — a small blog/shop with the classic mistakes built in:
-- "Post"."authorId" and comments.post_id are foreign keys without an index,
-- products is wide (SELECT * fetches every column).
CREATE TABLE "User" (id serial PRIMARY KEY, email text UNIQUE NOT NULL, name text);
CREATE TABLE "Post" (id serial PRIMARY KEY, title text NOT NULL, body text,
                     "authorId" int NOT NULL REFERENCES "User"(id), created_at timestamptz DEFAULT now());
CREATE TABLE comments (id serial PRIMARY KEY, post_id int NOT NULL REFERENCES "Post"(id),
                       body text, created_at timestamptz DEFAULT now());
CREATE TABLE products (id serial PRIMARY KEY, sku text UNIQUE, name text, description text,
                       spec1 text, spec2 text, spec3 text, spec4 text, spec5 text, spec6 text,
                       price numeric, stock int, image_url text, created_at timestamptz DEFAULT now());
CREATE TABLE orders (id serial PRIMARY KEY, user_id int REFERENCES "User"(id), product_id int REFERENCES products(id),
                     quantity int, created_at timestamptz DEFAULT now());

-- the listing's sort key is indexed, as a real app would have it: deep OFFSET pages still read
-- every earlier row through the index
CREATE INDEX post_created_at_id ON "Post" (created_at, id);

INSERT INTO "User"(email, name) SELECT 'user' || g || '@example.com', 'User ' || g FROM generate_series(1, 200) g;
INSERT INTO "Post"(title, body, "authorId")
  SELECT 'Post ' || g, repeat('lorem ipsum ', 20), 1 + (g % 200) FROM generate_series(1, 40000) g;
INSERT INTO comments(post_id, body) SELECT 1 + (g % 40000), 'nice post ' || g FROM generate_series(1, 40000) g;
INSERT INTO products(sku, name, description, spec1, spec2, spec3, spec4, spec5, spec6, price, stock, image_url)
  SELECT 'SKU-' || g, 'Product ' || g, repeat('description ', 30), repeat('s', 40), repeat('s', 40), repeat('s', 40),
         repeat('s', 40), repeat('s', 40), repeat('s', 40), g * 1.5, g % 50, 'https://img.example/' || g
    FROM generate_series(1, 2000) g;
INSERT INTO orders(user_id, product_id, quantity) SELECT 1 + g % 200, 1 + g % 2000, 1 + g % 3 FROM generate_series(1, 20000) g;
ANALYZE;
