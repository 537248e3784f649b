-- The catalog notes of the sources listed ($source_ids), each note once with the sources that carry it, in order of
-- their first source id.
select note, list(source_id order by source_id) as source_ids
from raw_sources
where note is not null and list_contains($source_ids::varchar[], source_id)
group by note
order by min(source_id), note
