/* leading */ -- line
SELECT * FROM t WHERE a IN ($1, $2::int, $3::numeric(10,2)) AND b = ANY(ARRAY[$4,$5::"E"[]]) ;; -- tail