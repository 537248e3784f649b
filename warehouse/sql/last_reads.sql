-- Each source's last successful read: a run reads posts from where the previous one stopped.
select source_id, last_success_at
from source_status
where last_success_at is not null
