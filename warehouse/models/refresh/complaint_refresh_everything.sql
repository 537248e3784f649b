-- The scope of a full refresh of stg_complaint_counts: one row without a service, which covers every series from its
-- first bucket. Same columns as complaint_refresh_scope.sql (the scope of an incremental refresh).
select
    null::varchar as service_id,
    null::varchar as source_id,
    null::timestamptz as since
