-- setup for the eviction schedule (server: pg_insights.max_shapes = 100)
CREATE EXTENSION pg_insights;
SHOW pg_insights.max_shapes;
