-- Which complaint-count series a load changed, and from which bucket: the series of the count rows it brought (from
-- their earliest bucket), every service's series of the sources it brought posts from (a post may name any service;
-- from trailing_hours before its earliest post, where a new series starts), the series of a post source whose reads it brought (a read window covers buckets: from
-- the window's start), and each touched service's total ('*'). A series that grows after a quiet spell is refreshed
-- from the bucket after its last one, and a count series from the bucket after its row before the new ones, so the
-- buckets between are covered (or not) anew.
with

new_counts as (
    select service_id, source_id, min(bucket_start) as since
    from read_json($counts, format = 'newline_delimited', columns = {
        service_id: 'VARCHAR', source_id: 'VARCHAR', bucket_start: 'TIMESTAMPTZ'})
    group by all
),

new_posts as (
    select source_id, min(posted_at) as since
    from read_json($posts, format = 'newline_delimited', columns = {source_id: 'VARCHAR', posted_at: 'TIMESTAMPTZ'})
    group by all
),

new_reads as (
    select source_id, min(read_window(meta).read_from) as since
    from read_json($fetches, format = 'newline_delimited', columns = {source_id: 'VARCHAR', meta: 'VARCHAR'})
    where read_window(meta).read_from is not null
    group by all
),

services as (
    select * from raw_services
),

counts as (
    select * from raw_complaint_counts
),

rule as (
    select * from stg_spike_rule
),

known as (
    select service_id, source_id, max(bucket_start) as last_bucket
    from stg_complaint_counts
    where source_id <> '*'
    group by all
),

earlier_rows as (
    -- the row of each touched count series just before the new ones
    select new_counts.service_id, new_counts.source_id, max(counts.bucket_start) as before_since
    from new_counts
    join counts
        on counts.service_id = new_counts.service_id
        and counts.source_id = new_counts.source_id
        and counts.bucket_start < new_counts.since
    group by all
),

touched as (
    select
        new_counts.service_id,
        new_counts.source_id,
        least(new_counts.since, earlier_rows.before_since + rule.bucket_width) as since
    from new_counts
    cross join rule
    left join earlier_rows using (service_id, source_id)
    union all
    select known.service_id, known.source_id, new_reads.since
    from new_reads
    join known using (source_id)
    union all
    -- a post series starts trailing_hours before its first counted post (stg_complaint_counts)
    select services.service_id, new_posts.source_id, new_posts.since - to_hours(rule.trailing_hours)
    from new_posts
    cross join services
    cross join rule
),

per_source as (
    select
        touched.service_id,
        touched.source_id,
        least(min(touched.since), any_value(known.last_bucket) + any_value(rule.bucket_width)) as since
    from touched
    cross join rule
    left join known using (service_id, source_id)
    group by all
),

final as (
    select service_id, source_id, since from per_source
    union all
    select service_id, '*', min(since) from per_source group by service_id
)

select * from final
