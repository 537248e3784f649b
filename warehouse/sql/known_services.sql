-- Every service of the warehouse with the names it goes by (for checking a --service value before a read-out).
select service_id, list_concat([service_id, name], coalesce(aliases, [])) as names
from services
order by service_id
