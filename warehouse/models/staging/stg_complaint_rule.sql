-- The complaint rule as published: its name, its pattern (the macro complaint_pattern, in
-- macros/complaint_pattern.sql), tested on the text without the words its source searched for (stg_complaints), and how
-- long after an author's complaint about a service another one does not count.
with

final as (
    select
        'complaint_phrases_v2_unsearched' as rule_name,
        complaint_pattern() as pattern,
        interval 60 minute as repeat_window
)

select * from final
