-- For each outage of a provider (a service others depend on, or whose name their posts use), the other services
-- whose complaints spiked or whose status pages posted while it lasted, with the lag from the provider's start.
with

services as (
    select * from raw_services
),

outages as (
    select * from outages
),

incidents as (
    select * from stg_incidents
),

updates as (
    select * from stg_incident_updates
),

providers as (
    select distinct unnest(depends_on) as provider_service_id from services
),

provider_spikes as (
    -- a provider outage seen in complaints, with the incident that acknowledged it
    select
        outages.service_id as provider_service_id,
        outages.incident_id,
        least(outages.started_at, coalesce(outages.acknowledged_at, outages.started_at)) as began_at,
        greatest(outages.ended_at, coalesce(outages.resolved_at, outages.ended_at)) as ended_at
    from outages
    join providers on providers.provider_service_id = outages.service_id
),

provider_incidents as (
    -- a provider incident no complaint spike of that provider covers
    select
        incidents.service_id as provider_service_id,
        incidents.incident_id,
        incidents.first_posted_at as began_at,
        coalesce(incidents.resolved_at, incidents.first_posted_at + interval 6 hour) as ended_at
    from incidents
    join providers on providers.provider_service_id = incidents.service_id
    where not exists (
        select 1 from provider_spikes
        where provider_spikes.provider_service_id = incidents.service_id
        and incidents.first_posted_at between provider_spikes.began_at and provider_spikes.ended_at
    )
),

provider_outages as (
    select * from provider_spikes
    union all
    select * from provider_incidents
),

others_started as (
    select service_id, started_at as began_at, 'complaints' as evidence, cast(null as varchar) as incident_id
    from outages
    union all
    select service_id, first_posted_at as began_at, 'status_page' as evidence, incident_id
    from incidents
),

affected as (
    select
        provider_outages.provider_service_id,
        provider_outages.incident_id,
        others_started.service_id as affected_service_id,
        min(others_started.began_at) as affected_began_at,
        min(provider_outages.began_at) as provider_began_at,
        string_agg(distinct others_started.evidence, ',' order by others_started.evidence) as evidence,
        list(distinct others_started.incident_id) filter (where others_started.incident_id is not null)
            as affected_incident_ids,
        any_value(provider_outages.began_at) as window_start,
        any_value(provider_outages.ended_at) as window_end
    from provider_outages
    join others_started
        on others_started.service_id <> provider_outages.provider_service_id
        and others_started.began_at between provider_outages.began_at and provider_outages.ended_at
    group by all
),

blame as (
    -- the affected service's own posts in the window name the provider (its id, name or an alias)
    select distinct
        affected.provider_service_id,
        affected.incident_id,
        affected.affected_service_id
    from affected
    join incidents as theirs on theirs.service_id = affected.affected_service_id
    join updates on updates.incident_id = theirs.incident_id
    join services as provider on provider.service_id = affected.provider_service_id
    where updates.posted_at between affected.window_start and affected.window_end + interval 1 day
        and len(list_filter(
            list_concat([provider.service_id, provider.name], provider.aliases),
            lambda name: regexp_matches(lower(updates.body), '\b' || regexp_escape(lower(name)) || '\b')
        )) > 0
),

final as (
    select
        affected.provider_service_id,
        affected.incident_id,
        affected.affected_service_id,
        affected.affected_began_at - affected.provider_began_at as lag,
        coalesce(list_contains(services.depends_on, affected.provider_service_id), false) as expected,
        blame.affected_service_id is not null as blames_provider,
        affected.affected_began_at,
        affected.evidence,
        affected.affected_incident_ids
    from affected
    left join services on services.service_id = affected.affected_service_id
    left join blame using (provider_service_id, incident_id, affected_service_id)
)

select * from final
