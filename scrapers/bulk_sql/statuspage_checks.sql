-- Statuspage v2 JSON bodies (scrapers/bulk_statuspage.py), first pass: each stored body as text, with whether DuckDB's
-- JSON reader reads it as Python's json.loads does (`plain`) and its top-level keys. DuckDB's reader also accepts
-- trailing commas and nan/inf in any case, which json.loads refuses (it takes only NaN, Infinity, -Infinity): a body
-- with either, or anything that looks like one (a comma before a closing bracket; nan, inf or infinity in any case
-- between a comma, colon or bracket and the next, even inside a string), is not plain and goes to the Python parser. A body that is not UTF-8 (decode fails),
-- that does not start with an object, or that is no JSON at all (json_keys fails) is not plain either.
with

bodies as (
    select filename, try(decode(content)) as text from read_blob($files)
),

checked as (
    select
        filename,
        coalesce(
            regexp_matches(text, '^[ \t\n\r]*\{')
            and not regexp_matches(text, ',[ \t\n\r]*[\]}]')
            and not regexp_matches(text, ',' || json_non_finite())
            and not regexp_matches(text, ':' || json_non_finite())
            and not regexp_matches(text, '\[' || json_non_finite()),
            false
        ) as plain,
        text
    from bodies
),

final as (
    select
        filename,
        plain,
        case when plain then try(json_keys(text)) end as top_keys
    from checked
)

select * from final
