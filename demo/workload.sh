#!/usr/bin/env bash
# demo/workload.sh — the sample application's traffic, sent with psql: an N+1 loop with
# Prisma-style sqlcommenter tags, deep OFFSET pages, a hot repeated lookup, SELECT * on a
# wide table, a batched (fine) read and knex-style tagged requests.
# Usage: demo/workload.sh  (PGHOST/PGPORT/PGUSER/PGDATABASE name the demo database)
set -euo pipefail
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
tag_findmany='/*prismaQuery='"'"'Post.findMany%3AeyJ3aGVyZSI6eyJhdXRob3JJZCI6eyIkdHlwZSI6IlBhcmFtIiwidmFsdWUiOnsibmFtZSI6IiUxIiwidHlwZSI6IkludCJ9fX19'"'"'*/'
tag_users='/*prismaQuery='"'"'User.findMany%3AeyJzZWxlY3QiOnsiaWQiOnRydWV9fQ'"'"'*/'
{
	for round in 1 2 3; do
		# N+1: list users, then one query per user (Prisma's loop: same backend, no transaction)
		echo "SELECT \"public\".\"User\".\"id\" FROM \"public\".\"User\" WHERE 1=1 ORDER BY id LIMIT 20 OFFSET 0 $tag_users;"
		for uid in $(seq 1 20); do
			echo "SELECT \"public\".\"Post\".\"id\", \"public\".\"Post\".\"title\", \"public\".\"Post\".\"authorId\" FROM \"public\".\"Post\" WHERE \"public\".\"Post\".\"authorId\" = $uid OFFSET 0 $tag_findmany;"
		done
		# the batched alternative (not an N+1)
		echo "SELECT \"public\".\"Post\".\"id\", \"public\".\"Post\".\"title\" FROM \"public\".\"Post\" WHERE \"public\".\"Post\".\"id\" IN ($((round)),$((round + 1)),$((round + 2)),$((round + 3))) OFFSET 0;"
		# deep OFFSET pages
		for page in 0 50 100 200 400 800 1200 1600; do
			echo "SELECT id, title FROM \"Post\" ORDER BY created_at, id LIMIT 20 OFFSET $((page * 20)) /*route='%2Fposts',db_driver='knex%3A3.3.0'*/;"
		done
		# hot repeated lookup: the same product, over and over
		for i in $(seq 1 30); do
			echo "SELECT name, price FROM products WHERE sku = 'SKU-42' /*route='%2Fproduct%2F%3Asku',traceparent='00-0af7651916cd43dd8448eb211c8031$(printf %02d "$i")-b7ad6b7169203331-01'*/;"
		done
		# SELECT * on a wide table
		for i in $(seq 1 10); do
			echo "SELECT * FROM products WHERE stock > $((i % 5)) ORDER BY id LIMIT 200;"
		done
		# a large nested read: every user with all their posts and bodies
		echo "SELECT u.id, u.name, p.id, p.title, p.body FROM \"User\" u JOIN \"Post\" p ON p.\"authorId\" = u.id ORDER BY u.id;"
		# comments of one post: a filter on an unindexed foreign key
		for pid in 11 12 13 14 15; do
			echo "SELECT id, body FROM comments WHERE post_id = $pid;"
		done
	done
} | "${PSQL[@]}" >/dev/null
