-- the fingerprint lexes the statement again: it must not fail where the parser did not
-- (one message whose first statement turns standard_conforming_strings on before the
-- second is lexed).  PostgreSQL 19 has no non-standard strings, so nothing to test
-- there (strings_1.out).
SELECT current_setting('server_version_num')::int < 190000 AS nonstandard_strings \gset
\if :nonstandard_strings
\getenv datadir PGI_DATA_DIR
\i :datadir/nonstandard_strings.sql
\else
\echo 'no non-standard strings on this version'
\endif
