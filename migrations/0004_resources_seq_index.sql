-- Every write takes the next creation-order number with SELECT MAX(seq): without an index that
-- scans the whole table (bench/ANALYSIS.md).
CREATE INDEX resources_by_seq ON resources(seq);
