-- Analyst view: one row per post and service it names. counted is false for repeats and for posts that are not
-- complaints. Authors appear only as a keyed hash.
with

complaints as (
    select * from stg_complaints
),

final as (
    select
        complaint_id,
        source_id,
        service_id,
        posted_at,
        author_hash,
        url,
        text,
        counted,
        is_complaint,
        uri,
        lang,
        first_seen_at,
        source_url,
        complaint_rule
    from complaints
)

select * from final
