-- The reads that can list something new: per URL, the first successful read of a document whose members are known
-- (raw_documents) and every later one whose body differs from that URL's previous such read (previous_sha256).
-- A read of the same bytes lists the same incidents, posts and versions, so only these need comparing.
with

fetches as (
    select * from raw_fetches where error is null and sha256 is not null
),

documents as (
    select * from raw_documents
),

reads as (
    select
        fetches.source_id,
        fetches.url,
        fetches.fetched_at,
        fetches.sha256,
        lag(fetches.sha256) over (partition by fetches.source_id, fetches.url order by fetches.fetched_at) as previous_sha256
    from fetches
    semi join documents using (source_id, url, sha256)
),

final as (
    select source_id, url, fetched_at, sha256, previous_sha256
    from reads
    where previous_sha256 is distinct from sha256
)

select * from final
