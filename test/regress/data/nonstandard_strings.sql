-- read by strings.sql where the server has non-standard strings (a file of its own:
-- psql reads a skipped \if branch too, and on 19 'a\'b' would run on past \endif)
SET escape_string_warning = off;
SET standard_conforming_strings = off;
SET standard_conforming_strings = on \; SELECT 'a\'b' AS quoted;
RESET escape_string_warning;
-- (counted once; its text is normalized with the setting of the moment)
SELECT count(*) AS shapes, sum(calls) AS calls FROM insights.queries WHERE query LIKE '%AS quoted' AND query NOT LIKE '%insights%';
