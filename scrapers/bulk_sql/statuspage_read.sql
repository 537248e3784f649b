-- Statuspage v2 JSON bodies, second pass: the fields the parser reads (scrapers/formats/statuspage_v2.py), every value
-- as JSON so that its type stays visible (a str() of a number is not the SQL path's to guess). DuckDB refuses the
-- whole read when an object has a key twice (json.loads keeps the last) or a value is not the shape declared (a
-- string where the incidents are): scrapers/bulk_statuspage.py then reads the files in halves until the ones it
-- refuses are alone, and those go to the Python parser.
select
    filename,
    incidents,
    scheduled_maintenances,
    components
from read_json(
    $files,
    format = 'unstructured',
    records = true,
    filename = true,
    maximum_object_size = $max_size,
    columns = {
        incidents: 'STRUCT(
            id JSON, name JSON, status JSON, impact JSON, created_at JSON, started_at JSON, resolved_at JSON,
            shortlink JSON, components STRUCT(id JSON)[],
            incident_updates STRUCT(
                id JSON, status JSON, body JSON, created_at JSON, display_at JSON,
                affected_components STRUCT(code JSON, old_status JSON, new_status JSON)[]
            )[]
        )[]',
        scheduled_maintenances: 'STRUCT(
            id JSON, name JSON, status JSON, impact JSON, created_at JSON, started_at JSON, resolved_at JSON,
            shortlink JSON, components STRUCT(id JSON)[],
            incident_updates STRUCT(
                id JSON, status JSON, body JSON, created_at JSON, display_at JSON,
                affected_components STRUCT(code JSON, old_status JSON, new_status JSON)[]
            )[]
        )[]',
        components: 'STRUCT(id JSON, name JSON, status JSON, "group" JSON, group_id JSON)[]'
    }
)
