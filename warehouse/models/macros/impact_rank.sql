-- How severe an incident's impact is, for choosing between an incident's versions or between incidents: the place of
-- the impact in IMPACT_SEVERITY (scrapers/vocabulary.py), least severe first; tests/test_vocabulary.py checks that
-- the two agree. No impact, or a word outside the vocabulary, ranks as unknown.
CREATE OR REPLACE MACRO impact_rank(impact) AS CASE impact
    WHEN 'maintenance' THEN 1
    WHEN 'none' THEN 2
    WHEN 'minor' THEN 3
    WHEN 'major' THEN 4
    WHEN 'critical' THEN 5
    ELSE 0
END
