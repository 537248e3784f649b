-- Each service's display name.
select service_id, name
from services
