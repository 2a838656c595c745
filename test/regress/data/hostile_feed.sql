-- hostile_feed.sql — hostile sqlcommenter comments sent through real statements (test hostile
-- runs it in a UTF8 and in a SQL_ASCII database).  Prints nothing.
\set ECHO none
\o /dev/null
CREATE TABLE IF NOT EXISTS hs_t (id int);
-- base64url without padding, as Prisma writes it
CREATE OR REPLACE FUNCTION hs_b64(b bytea) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT rtrim(translate(encode(b, 'base64'), E'+/\n', '-_'), '=') $$;
-- one statement carrying a comment; k spreads them over 97 shapes (32 tag sets each at most)
CREATE OR REPLACE FUNCTION hs_stmt(k int, body text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT format('SELECT count(*) FROM hs_t WHERE id = %s%s /*%s*/', k,
                 repeat(' AND id IS NOT NULL', k % 97), body) $$;
-- the issue's comment: {"a":1e200000}
SELECT min(id) FROM hs_t WHERE id = 1 /*prismaQuery='Post.findMany%3AeyJhIjoxZTIwMDAwMH0'*/;
-- a valid shape next to it stays
SELECT max(id) FROM hs_t WHERE id = 1 /*prismaQuery='Post.findMany%3AeyJ3aGVyZSI6eyJpZCI6e319fQ'*/;
-- hostile Prisma shapes, one statement each
SELECT hs_stmt(1000 + n::int, format('prismaQuery=''User.findFirst%%3A%s''', hs_b64(j)))
  FROM (SELECT row_number() OVER () AS n, j FROM (VALUES
	(convert_to('{"a":1e200000}', 'UTF8')), (convert_to('{"a":-1e200000}', 'UTF8')),
	(convert_to('[1e-200000]', 'UTF8')), (convert_to('{"a":1e1001}', 'UTF8')),
	(convert_to('{"a":1E+131073}', 'UTF8')), (convert_to('{"a":1e400}', 'UTF8')),
	(convert_to('{"a":' || repeat('9', 300) || '}', 'UTF8')),
	(convert_to('{"a":0.' || repeat('0', 300) || '1}', 'UTF8')),
	(convert_to('{"a":1' || repeat('0', 200) || 'e-1000}', 'UTF8')),
	(convert_to('{"a":"\u0000"}', 'UTF8')), (convert_to('{"a\u0000":1}', 'UTF8')),
	(convert_to('{"a":"\ud800"}', 'UTF8')), (convert_to('{"a":"\udc00"}', 'UTF8')),
	(convert_to('{"a":"\ud800\u0041"}', 'UTF8')), (convert_to('{"a":"\udbff\udfff"}', 'UTF8')),
	(convert_to('{"a":"\u00e9"}', 'UTF8')), (convert_to('{"a":"\ud83d\ude00"}', 'UTF8')),
	(convert_to(repeat('[', 150) || repeat(']', 150), 'UTF8')),
	(convert_to(repeat('{"a":', 60) || '1' || repeat('}', 60), 'UTF8')),
	(convert_to('{"a":NaN}', 'UTF8')), (convert_to('{"a":Infinity}', 'UTF8')),
	(convert_to('{"a":-}', 'UTF8')), (convert_to('{"a":01}', 'UTF8')),
	(convert_to('{"a":1,}', 'UTF8')), (convert_to('''a''', 'UTF8')), (convert_to('{"a":"x', 'UTF8')),
	(convert_to('{"a":"\x41"}', 'UTF8')), (convert_to('{"a":"\', 'UTF8')),
	(convert_to('null', 'UTF8')), (convert_to('{} {}', 'UTF8')), (convert_to(' ', 'UTF8')),
	('\x7b2261223a22ff227d'::bytea),		-- {"a":"<ff>"}
	('\x7b2261223a22c080227d'::bytea),		-- overlong NUL
	('\x7b2261223a22eda080227d'::bytea),	-- an encoded surrogate
	('\x7b2261223a22f4908080227d'::bytea),	-- beyond U+10FFFF
	('\x7b2261223a2200227d'::bytea),		-- a raw NUL in a string
	('\x7b7d00'::bytea),					-- {} then NUL
	('\x7b2261223a2209227d'::bytea)			-- a raw tab in a string
	) v(j)) s
\gexec
-- prismaQuery values that are not a shape at all
SELECT count(*) FROM hs_t WHERE id = 1 /*prismaQuery='queryRaw'*/;
SELECT count(*) FROM hs_t WHERE id = 1 /*prismaQuery='Post.findMany%3A'*/;
SELECT count(*) FROM hs_t WHERE id = 1 /*prismaQuery='Post.findMany%3A!!!'*/;
SELECT count(*) FROM hs_t WHERE id = 1 /*prismaQuery='Post.findMany%3AeyJ'*/;
SELECT count(*) FROM hs_t WHERE id = 1 /*prismaQuery='Post.findMany%3AeyJ%00'*/;
SELECT count(*) FROM hs_t WHERE id = 1 /*prismaQuery='.%3A'*/;
-- quotes, backslashes, NUL-ish and invalid encodings in keys and values
SELECT sum(id) FROM hs_t WHERE id = 2 /*route='it\'s',controller='\\',action='"',framework='\u0000',application='%5Cu0000'*/;
SELECT sum(id) FROM hs_t WHERE id = 2 /*route='%00%00',controller='%FF%FE',action='%C0%80',framework='%ED%A0%80',application='%F4%90%80%80'*/;
SELECT sum(id) FROM hs_t WHERE id = 2 /*%00='x',%22%5C='y',%E9='z',route='%E9t%E9'*/;
SELECT sum(id) FROM hs_t WHERE id = 2 /*route='%',controller='%%',action='%G0',framework='%0',application='\'*/;
SELECT sum(id) FROM hs_t WHERE id = 2 /*route='%0A%0D%09%08%0C%1B',controller='%7F',action='%C2%A0'*/;
-- enormous: a 200 kB value, a comment over the 256 kB limit, 40 tags
SELECT format('SELECT count(*) FROM hs_t WHERE id = 3 /*route=''%s''*/', repeat('y', 200000))
\gexec
SELECT format('SELECT count(*) FROM hs_t WHERE id = 3 /*route=''%s''*/', repeat('z', 300000))
\gexec
SELECT format('SELECT count(*) FROM hs_t WHERE id = 3 /*prismaQuery=''Post.findMany%%3A%s''*/', repeat('e', 300000))
\gexec
SELECT format('SELECT count(*) FROM hs_t WHERE id = 3 /*%s*/', string_agg(format('k%s=''%%FF%s''', g, g), ','))
  FROM generate_series(1, 40) g
\gexec
-- 3,000 mutations: random bytes, a valid shape with one byte replaced, huge and tiny
-- exponents, nesting around the limit, every \u escape class, garbage numbers; the route
-- URL-encodes random bytes
SELECT hs_stmt(k, format('prismaQuery=''Post.findMany%%3A%s'',route=''%s''', hs_b64(m),
			   regexp_replace(md5(k::text), '(..)', '%\1', 'g')))
  FROM (SELECT k, CASE k % 7
		WHEN 0 THEN decode(md5(k::text) || md5((-k)::text), 'hex')
		WHEN 1 THEN overlay(convert_to('{"where":{"id":{"in":[1,2,3]},"t":"ab"},"take":10}', 'UTF8')
							placing decode(substr(md5(k::text), 1, 2), 'hex') from 1 + k % 45)
		WHEN 2 THEN convert_to(format('{"a":%s%se%s}', CASE WHEN k % 4 = 0 THEN '-' END, k,
									  (k * 7919) % 400001 - 200000), 'UTF8')
		WHEN 3 THEN convert_to(repeat('[', k % 70) || '1' || repeat(']', k % 70), 'UTF8')
		WHEN 4 THEN convert_to(format('{"a":"\u%s"}', lpad(to_hex((k * 31153) % 65536), 4, '0')), 'UTF8')
		WHEN 5 THEN convert_to(format('{"a":%s}', repeat(substr(md5(k::text), 1, 1 + k % 8), 1 + k % 40)), 'UTF8')
		ELSE convert_to('{"s":"', 'UTF8') || decode(substr(md5(k::text), 1, 2 + 2 * (k % 6)), 'hex')
			 || convert_to('"}', 'UTF8')
		END AS m
	  FROM generate_series(1, 3000) k) s
\gexec
\o
\set ECHO all
