-- Whether there is any complaint spike (an outage is one: marts/outages.sql has a row per spike and no other).
select exists (select 1 from complaint_spikes) as any_spike
