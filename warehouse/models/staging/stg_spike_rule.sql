-- The complaint spike rule, its parameters in one place so every figure can be reproduced.
-- A bucket is over the line when reports >= ratio x baseline and reports >= floor_reports; a spike is a run of at
-- least min_buckets consecutive buckets over the line. The baseline is the median of the same 15-minute slot of
-- the day over the previous baseline_days days (at least min_history of them), unless the source supplied one.
-- Complaints are back to baseline at the first bucket after the peak with reports <= back_ratio x baseline.
with

final as (
    select
        'ratio3_floor10_sustain2' as rule_name,
        3.0 as ratio,
        10 as floor_reports,
        2 as min_buckets,
        28 as baseline_days,
        3 as min_history,
        interval 15 minute as bucket_width,
        1.5 as back_ratio
)

select * from final
