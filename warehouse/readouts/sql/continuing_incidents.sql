-- The incidents of one service that began by the end of a selection and were still open at its end (an outage's
-- export says that its provider's trouble went on past the window).
select incident_id, title, started_at, resolved_at
from incidents
where service_id = $service_id
    and started_at <= $end
    and (resolved_at is null or resolved_at > $end)
order by started_at, incident_id
