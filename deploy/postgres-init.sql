-- Run once by the postgres image on an empty data directory: the read-model database and its owner.
-- (Temporal's own databases, temporal and temporal_visibility, are created by temporalio/auto-setup.)
CREATE USER orderly WITH PASSWORD 'orderly';
CREATE DATABASE orderly OWNER orderly;
