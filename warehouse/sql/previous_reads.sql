-- For the sources a run is about to read: every URL each fetched in its latest run, with the validators of that URL's
-- latest successful read (a body kept, HTTP 200 or 304), for conditional requests; and whether that body, read again
-- unchanged, needs no parse (its records are in the warehouse: raw_documents). Read-only, before the crawl.
with

planned as (
    select unnest($source_ids::varchar[]) as source_id
),

fetches as (
    select raw_fetches.*
    from raw_fetches
    semi join planned using (source_id)
),

last_runs as (
    select source_id, arg_max(run_id, {'t': fetched_at, 'r': run_id}) as run_id
    from fetches
    group by source_id
),

recent_urls as (
    select distinct fetches.source_id, fetches.url
    from fetches
    semi join last_runs using (source_id, run_id)
),

latest as (
    select
        source_id,
        url,
        arg_max(
            {'etag': etag, 'last_modified': last_modified, 'sha256': sha256, 'content_type': content_type},
            {'t': fetched_at, 'r': run_id}
        ) as read
    from fetches
    semi join recent_urls using (source_id, url)
    where error is null and http_status in (200, 304) and sha256 is not null
    group by source_id, url
),

final as (
    select
        latest.source_id,
        latest.url,
        latest.read.etag as etag,
        latest.read.last_modified as last_modified,
        latest.read.sha256 as sha256,
        latest.read.content_type as content_type,
        documents.sha256 is not null as reusable
    from latest
    left join raw_documents as documents
        on documents.source_id = latest.source_id
        and documents.url = latest.url
        and documents.sha256 = latest.read.sha256
)

select * from final
order by source_id, url
