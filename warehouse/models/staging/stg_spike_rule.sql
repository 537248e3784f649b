-- The complaint spike rule, its parameters in one place so every figure can be reproduced.
--
-- Buckets are bucket_minutes wide: 15 by default, set by OUTAGES_BUCKET_MINUTES when the models are built (a new
-- width rebuilds the materialized counts in full; model_state records the width they were built with).
-- The baseline of a bucket is the median of the same slot of the day on the same weekday over the previous
-- baseline_weeks weeks when at least min_history such buckets exist ('weekday'), else the median of the same slot
-- over the previous baseline_days days when at least min_history exist ('time_of_day'), else NULL
-- ('insufficient'), else — the first days of a series, or a one-day import — the median of the covered buckets of
-- the previous trailing_hours hours when at least trailing_min_buckets exist ('trailing'), else NULL
-- ('insufficient'). Buckets that were over the line on a first pass are left out of the baseline, so an earlier
-- outage does not raise it.
-- A source-supplied baseline (a Downdetector export) is used as given ('supplied').
--
-- Coverage: a bucket is covered when a source read all of it. A count source covers the stretch between two of its
-- rows when they are at most count_gap_minutes apart (a longer silence is not zeros but unknown); a post source
-- covers the windows of its successful reads. An uncovered bucket has no reports (NULL), enters no baseline and is
-- never over the line.
--
-- A bucket is over the line when reports >= ratio x baseline, reports >= baseline + z x scale (scale = the larger
-- of 1.4826 x MAD, the square root of the baseline — the Poisson spread — and 1), and reports >= floor_reports.
-- A spike bucket is one of a run of at least min_buckets consecutive buckets over the line. A spike continues
-- through a dip of at most max_dip_buckets covered buckets that are not spike buckets (uncovered buckets inside it
-- are shown, neither dips nor spike buckets). Complaints are back to baseline at the first bucket after the peak
-- with reports <= back_ratio x baseline.
with

final as (
    select
        'ratio3_z4_floor10_sustain2_dip2_trail24h' as rule_name,
        3.0 as ratio,
        4.0 as z,
        10 as floor_reports,
        2 as min_buckets,
        28 as baseline_days,
        3 as min_history,
        1.5 as back_ratio,
        8 as baseline_weeks,
        24 as trailing_hours,
        8 as trailing_min_buckets,
        2 as max_dip_buckets,
        60 as count_gap_minutes,
        coalesce(built.bucket_minutes, 15) as bucket_minutes,
        to_minutes(coalesce(built.bucket_minutes, 15)) as bucket_width,
        -- how far back a refresh from some bucket must read so that every bucket it rewrites sees its full history:
        -- the weekday window (baseline_weeks) of buckets whose own first pass looks baseline_days back, and a day
        to_days(7 * baseline_weeks + baseline_days + 1) as refresh_lookback
    from (select 1) as one
    left join (select bucket_minutes from model_state where model = 'stg_complaint_counts') as built on true
)

select
    *,
    json_object(
        'ratio', ratio, 'z', z, 'floor_reports', floor_reports, 'min_buckets', min_buckets,
        'baseline_days', baseline_days, 'baseline_weeks', baseline_weeks, 'min_history', min_history,
        'back_ratio', back_ratio, 'bucket_minutes', bucket_minutes, 'trailing_hours', trailing_hours,
        'trailing_min_buckets', trailing_min_buckets, 'max_dip_buckets', max_dip_buckets,
        'count_gap_minutes', count_gap_minutes
    )::varchar as rule_params
from final
