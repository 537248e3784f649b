-- The services that posted an official update between $start and $end, each with its first post in that window.
select incidents.service_id, min(incident_updates.posted_at)
from incident_updates
inner join incidents using (incident_id)
where incident_updates.posted_at between $start and $end
    and incidents.service_id is not null
group by all
