-- One row per post and service it names. A post names a service when the service's id, name or an alias appears
-- on word boundaries, after the service's exclusion phrases are removed ("amazon rainforest" is not Amazon).
-- It counts when it reads like a complaint and the same author did not complain about that service in the
-- previous 60 minutes (as Downdetector counts one report per person).
with

posts as (
    select * from raw_posts
),

services as (
    select * from raw_services
),

rule as (
    select * from stg_complaint_rule
),

service_names as (
    select
        service_id,
        list_distinct(list_transform(
            list_concat([service_id, name], aliases), lambda n: regexp_escape(lower(n))
        )) as names,
        coalesce(exclusions, []) as exclusions
    from services
),

cleaned as (
    select
        posts.*,
        service_names.service_id,
        service_names.names,
        -- the text with this service's exclusion phrases blanked out
        list_reduce(
            list_prepend(lower(posts.text), service_names.exclusions),
            lambda acc, phrase: regexp_replace(acc, regexp_escape(lower(phrase)), ' ', 'g')
        ) as service_text
    from posts
    cross join service_names
),

mentions as (
    select
        cleaned.*,
        regexp_matches(cleaned.service_text, '(^|[^[:alnum:]])(' || array_to_string(cleaned.names, '|') || ')($|[^[:alnum:]])')
            as names_service
    from cleaned
),

matched as (
    select
        mentions.uri,
        mentions.post_id,
        mentions.source_id,
        mentions.service_id,
        mentions.posted_at,
        mentions.author_hash,
        mentions.url,
        mentions.text,
        mentions.lang,
        mentions.first_seen_at,
        mentions.source_url,
        regexp_matches(lower(mentions.text), rule.pattern) as is_complaint,
        rule.repeat_window,
        rule.rule_name
    from mentions
    cross join rule
    where mentions.names_service
),

sequenced as (
    select
        *,
        lag(posted_at) over (
            partition by service_id, author_hash, is_complaint order by posted_at, uri
        ) as previous_complaint_at
    from matched
),

final as (
    select
        post_id || '@' || service_id as complaint_id,
        source_id,
        service_id,
        posted_at,
        author_hash,
        url,
        text,
        is_complaint and (previous_complaint_at is null or posted_at - previous_complaint_at >= repeat_window)
            as counted,
        is_complaint,
        uri,
        lang,
        first_seen_at,
        source_url,
        rule_name as complaint_rule
    from sequenced
)

select * from final
