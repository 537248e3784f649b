-- The impact window a provider admits after the fact, per incident version.
ALTER TABLE raw_incident_versions ADD COLUMN IF NOT EXISTS declared_start TIMESTAMPTZ;
ALTER TABLE raw_incident_versions ADD COLUMN IF NOT EXISTS declared_end TIMESTAMPTZ;
