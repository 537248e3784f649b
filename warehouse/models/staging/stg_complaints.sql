-- One row per post and service it names. A post names a service when the service's id, name or an alias appears
-- on word boundaries, after the service's exclusion phrases are removed ("amazon rainforest" is not Amazon).
-- It counts when it reads like a complaint and the same author did not complain about that service in the
-- previous 60 minutes (as Downdetector counts one report per person). The complaint test reads the text without the
-- words its source searched for when they read like a complaint on their own: every post of the #outage timeline
-- says "outage", so that word proves nothing there (a search for "down" keeps its posts' "is down").
-- Every post meets every service, so the per-pair work is kept to plain string functions: a regular expression
-- built from row values is compiled again for each row it is applied to.
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
    -- per service, once: its names and its exclusion phrases, lower-cased
    select
        service_id,
        list_distinct(list_transform(list_concat([service_id, name], aliases), lambda n: lower(n))) as names,
        list_transform(coalesce(exclusions, []), lambda phrase: lower(phrase)) as exclusions
    from services
),

service_patterns as (
    -- and its names on word boundaries as one regular expression (RE2's [[:alnum:]] is ASCII)
    select
        *,
        '(^|[^[:alnum:]])(' || array_to_string(list_transform(names, lambda n: regexp_escape(n)), '|')
            || ')($|[^[:alnum:]])' as names_pattern
    from service_names
),

searched as (
    -- per source URL, once: the hashtag of a tag timeline, or the q/query parameter of a search, and its words;
    -- kept when it reads like a complaint by itself (a constant pattern, compiled once)
    select
        source_url,
        list_filter(
            list_distinct(list_prepend(term, string_split_regex(term, '[[:space:]]+'))),
            lambda word: word <> '' and regexp_matches(word, complaint_pattern())
        ) as terms
    from (
        select
            source_url,
            ltrim(lower(trim(url_decode(replace(coalesce(
                nullif(regexp_extract(source_url, '/tags?/([^/?#]+)', 1), ''),
                regexp_extract(source_url, '[?&](q|query)=([^&#]*)', 2)
            ), '+', ' ')))), '#') as term
        from (select distinct source_url from posts) as urls
    ) as extracted
),

lowered as (
    select
        posts.*,
        lower(posts.text) as lower_text,
        -- the text the complaint test reads: without the searched words (a literal replace-all)
        case when len(searched.terms) = 0 then lower(posts.text) else list_reduce(
            list_prepend(lower(posts.text), searched.terms), lambda acc, term: replace(acc, term, ' ')
        ) end as complaint_text
    from posts
    left join searched using (source_url)
),

cleaned as (
    select
        lowered.*,
        service_patterns.service_id,
        service_patterns.names,
        service_patterns.names_pattern,
        -- the text with this service's exclusion phrases blanked out: a literal replace-all (an empty phrase puts a
        -- blank before, between and after the characters, as a regular-expression replace of '' does)
        case when len(service_patterns.exclusions) = 0 then lowered.lower_text else list_reduce(
            list_prepend(lowered.lower_text, service_patterns.exclusions),
            lambda acc, phrase: case
                when phrase = '' then regexp_replace(acc, '', ' ', 'g')
                else replace(acc, phrase, ' ')
            end
        ) end as service_text
    from lowered
    cross join service_patterns
),

candidates as (
    -- a name on word boundaries is first of all in the text: the pairs with none of the names are dropped here
    select *
    from cleaned
    where list_bool_or(list_transform(cleaned.names, lambda n: contains(cleaned.service_text, n)))
),

mentions as (
    -- The pattern is built from row values, so DuckDB compiles it again for every pair it is applied to: most pairs
    -- are settled without it, by the first occurrence of each name (the characters around it, '' at either end).
    -- 2: it stands on word boundaries, the service is named; 0: the name is absent, or its first occurrence does
    -- not stand on boundaries and no other follows; 1: it occurs again further on, which only the pattern settles.
    select
        candidates.*,
        case list_max(list_transform(candidates.names, lambda n: case
            when not contains(candidates.service_text, n) then 0
            when not regexp_matches(
                substring(candidates.service_text, strpos(candidates.service_text, n) - 1, 1)
                    || substring(candidates.service_text, strpos(candidates.service_text, n) + length(n), 1),
                '[[:alnum:]]'
            ) then 2
            when contains(substring(candidates.service_text, strpos(candidates.service_text, n) + 1), n) then 1
            else 0
        end))
            when 2 then true
            when 0 then false
            else regexp_matches(candidates.service_text, candidates.names_pattern)
        end as names_service
    from candidates
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
        -- a constant pattern: compiled once
        regexp_matches(mentions.complaint_text, complaint_pattern()) as is_complaint,
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
